// Why: one function adds the options to both commands and one resolves them against a checkpoint,
// so their defaults cannot drift apart.
#include "mask_options.h"

#include "io/model_files.h"

namespace mae::cli {

void add_mask_options(CLI::App* cmd, MaskArgs* args) {
  cmd->add_option("--ratio", args->ratio,
                  "mask ratio in [0, 1) (default: the ratio the checkpoint was trained with, "
                  "else 0.75)")
      ->check(CLI::Range(0.0, 0.99));
  cmd->add_option("--mask-strategy", args->strategy, "random, block or grid")
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "mask seed")->capture_default_str();
}

ResolvedMask resolve_mask(const MaskArgs& args, const ModelFile& file) {
  const bool given = args.ratio >= 0;
  return {given ? args.ratio : default_mask_ratio(file), parse_mask_strategy(args.strategy),
          static_cast<uint64_t>(args.seed), given ? "" : " (the checkpoint's training ratio)"};
}

}  // namespace mae::cli
