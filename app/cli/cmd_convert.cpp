// Why: `mae convert`: our checkpoint (or any file we read) to another layout: a weights-only
// MAE Studio file (optionally float16, as shipped in assets/) or a Hugging Face folder that
// ViTMAEForPreTraining.from_pretrained loads.
#include <cstdio>
#include <memory>

#include "commands.h"
#include "io/authors_pth.h"
#include "io/checkpoint.h"
#include "io/hf_vitmae.h"
#include "io/model_files.h"
#include "read_weights.h"

namespace mae::cli {

namespace {
struct ConvertArgs {
  std::string checkpoint;
  std::string out;
  std::string to = "mae";
  bool fp16 = false;
};

void run(const ConvertArgs& a) {
  const auto file = read_weights(a.checkpoint);
  if (a.to == "hf") {
    write_hf_folder(a.out, file.config, file.tensors);
    std::printf("wrote Hugging Face folder %s (config.json, model.safetensors)\n", a.out.c_str());
    return;
  }
  if (a.to == "pth") {
    write_authors_pth(a.out, file.tensors, file.config);
    std::printf("wrote %s (the authors' layout: {'model': state_dict}, torch.load opens it)\n",
                a.out.c_str());
    return;
  }
  if (a.to != "mae") throw std::invalid_argument("--to must be mae, hf or pth");
  auto model = build_model(file, "cpu");
  save_checkpoint(a.out, model, {}, nullptr, file.step, file.loss, a.fp16 ? at::kHalf : at::kFloat);
  std::printf("wrote %s (weights only%s)\n", a.out.c_str(), a.fp16 ? ", float16" : "");
}
}  // namespace

void add_convert(CLI::App& app) {
  auto args = std::make_shared<ConvertArgs>();
  auto* cmd = app.add_subcommand("convert", "write a checkpoint in another layout");
  cmd->add_option("--checkpoint", args->checkpoint, kCheckpointHelp)->required();
  cmd->add_option("--out", args->out, "output file (mae) or folder (hf)")->required();
  cmd->add_option("--to", args->to,
                  "mae (weights only), hf (Hugging Face folder) or pth (authors')")
      ->capture_default_str();
  cmd->add_flag("--fp16", args->fp16, "with --to mae: store the learned weights as float16");
  cmd->callback([args] { run(*args); });
}

}  // namespace mae::cli
