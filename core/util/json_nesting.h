// Why: a parsed JSON value costs about a hundred bytes per bracket, so a file of brackets
// can ask nlohmann for gigabytes. Readers of users' JSON check the depth first.
#pragma once

#include <algorithm>
#include <cstddef>

namespace mae {

// The deepest nesting of [ and { outside strings.
inline int json_nesting(const char* text, size_t size) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < size; ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace mae
