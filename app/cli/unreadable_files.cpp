// Why: every command prints the files it left out the same way, on stderr, at most a screenful.
#include "unreadable_files.h"

#include <cstdio>

#include "util/left_out_lines.h"

namespace mae::cli {

void print_unreadable(const std::vector<std::string>& unreadable) {
  for (const auto& line : left_out_lines(unreadable, 10))
    std::fprintf(stderr, "%s\n", line.c_str());
}

}  // namespace mae::cli
