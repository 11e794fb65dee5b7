// Why: stderr, so that a command's JSON or table on stdout stays as it was.
#include "read_weights.h"

#include <cstdio>

namespace mae::cli {

ModelFile read_weights(const std::string& path) {
  auto file = read_model_file(path);
  if (!file.warning.empty()) std::fprintf(stderr, "mae: warning: %s\n", file.warning.c_str());
  return file;
}

}  // namespace mae::cli
