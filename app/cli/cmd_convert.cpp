// Why: `mae convert`: rewrite a checkpoint for sharing: weights only (no optimizer, not
// resumable), optionally in float16 to halve the file (used for the checkpoint in assets/).
#include <cstdio>
#include <memory>

#include "commands.h"
#include "io/checkpoint.h"

namespace mae::cli {

namespace {
struct ConvertArgs {
  std::string checkpoint;
  std::string out;
  bool fp16 = false;
};
}  // namespace

void add_convert(CLI::App& app) {
  auto args = std::make_shared<ConvertArgs>();
  auto* cmd = app.add_subcommand("convert", "write a weights-only copy of a checkpoint");
  cmd->add_option("--checkpoint", args->checkpoint, "a .safetensors checkpoint")->required();
  cmd->add_option("--out", args->out, "output .safetensors")->required();
  cmd->add_flag("--fp16", args->fp16, "store the learned weights as float16");
  cmd->callback([args] {
    CheckpointInfo info;
    auto model = load_model(args->checkpoint, "cpu", &info);
    save_checkpoint(args->out, model, {}, nullptr, info.step, info.loss,
                    args->fp16 ? at::kHalf : at::kFloat);
    std::printf("wrote %s (weights only%s)\n", args->out.c_str(), args->fp16 ? ", float16" : "");
  });
}

}  // namespace mae::cli
