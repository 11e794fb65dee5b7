// Why: training, `mae eval`, the probe and a sweep each leave out a file they cannot decode and go
// on, and each says so in the same words; a folder of thousands of broken files must not bury
// what a person came for, so only the first few are named and the rest counted.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace mae {

// "left out '<file>': <problem>" for the first `most` of `unreadable` (each as its error says
// it), then "left out N more files that could not be read" where there are more.
std::vector<std::string> left_out_lines(const std::vector<std::string>& unreadable, size_t most);

}  // namespace mae
