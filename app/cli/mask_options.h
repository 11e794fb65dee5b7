// Why: `mae eval` and `mae reconstruct` draw their masks the same way, so they offer the same
// options with the same defaults and words, and fall back to the checkpoint's ratio alike.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "model/masking.h"

namespace mae {
struct ModelFile;
}

namespace mae::cli {

struct MaskArgs {
  std::string strategy = "random";
  double ratio = -1.0;  // below 0: the checkpoint's training ratio
  int64_t seed = 0;
};

// --ratio, --mask-strategy and --seed.
void add_mask_options(CLI::App* cmd, MaskArgs* args);

// What the masks are drawn with: the ratio asked for, else the checkpoint's.
struct ResolvedMask {
  double ratio;
  MaskStrategy strategy;
  uint64_t seed;
  // " (the checkpoint's training ratio)" when the ratio came from the file, else "".
  const char* ratio_note;
};
ResolvedMask resolve_mask(const MaskArgs& args, const ModelFile& file);

}  // namespace mae::cli
