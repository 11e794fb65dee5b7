// Why: see file_kinds.h. Picture suffixes come from the data layer, which decides what it decodes.
#include "file_kinds.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace mae::studio {

namespace {

std::string changed_case(std::string text, int (*change)(int)) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [change](unsigned char c) { return static_cast<char>(change(c)); });
  return text;
}

}  // namespace

const std::vector<std::string>& checkpoint_extensions() {
  static const std::vector<std::string> known = {".safetensors", ".pth", ".pt", ".bin"};
  return known;
}

bool has_checkpoint_extension(const std::string& path) {
  const auto ext = changed_case(std::filesystem::path(path).extension().string(), ::tolower);
  const auto& known = checkpoint_extensions();
  return std::find(known.begin(), known.end(), ext) != known.end();
}

std::string glob_patterns(const std::vector<std::string>& extensions) {
  std::string lower, upper;
  for (const auto& ext : extensions) {
    lower += (lower.empty() ? "*" : " *") + ext;
    upper += " *" + changed_case(ext, ::toupper);
  }
  return lower + upper;
}

}  // namespace mae::studio
