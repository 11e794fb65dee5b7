// Why: a folder of thousands of broken files would bury the result under their lines: the
// first ten are named, the rest counted.
#include "unreadable_files.h"

#include <algorithm>
#include <cstdio>

namespace mae::cli {

void print_unreadable(const std::vector<std::string>& unreadable) {
  constexpr size_t kMostLines = 10;
  for (size_t i = 0; i < std::min(unreadable.size(), kMostLines); ++i)
    std::fprintf(stderr, "left out %s\n", unreadable[i].c_str());
  if (unreadable.size() > kMostLines)
    std::fprintf(stderr, "left out %zu more files that could not be read\n",
                 unreadable.size() - kMostLines);
}

}  // namespace mae::cli
