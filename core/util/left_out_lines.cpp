// Why: one wording for every place that leaves a file out, so a person recognises the line.
#include "util/left_out_lines.h"

#include <algorithm>

namespace mae {

std::vector<std::string> left_out_lines(const std::vector<std::string>& unreadable, size_t most) {
  std::vector<std::string> lines;
  for (size_t i = 0; i < std::min(unreadable.size(), most); ++i)
    lines.push_back("left out " + unreadable[i]);
  if (unreadable.size() > most)
    lines.push_back("left out " + std::to_string(unreadable.size() - most) +
                    " more files that could not be read");
  return lines;
}

}  // namespace mae
