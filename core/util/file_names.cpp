// Why: suffixes are ASCII, so lower-casing them byte by byte gives every caller the same form to
// compare, whatever the locale.
#include "util/file_names.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace mae {

std::string lower_case_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

std::string last_name(const std::string& path) {
  const auto normal = std::filesystem::path(path).lexically_normal();
  return (normal.has_filename() ? normal : normal.parent_path()).filename().string();
}

}  // namespace mae
