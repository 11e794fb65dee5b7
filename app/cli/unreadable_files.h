// Why: `mae eval` and `mae probe` leave out a file they cannot decode and go on; each such file
// gets a line naming it and the problem, on stderr so that a table or JSON on stdout stays clean.
#pragma once

#include <string>
#include <vector>

namespace mae::cli {

// "left out '<file>': <problem>" for each, at most a screenful, then how many more.
void print_unreadable(const std::vector<std::string>& unreadable);

}  // namespace mae::cli
