// Why: `mae forward`: one forward pass with a given input and masking noise, written as
// safetensors (loss, pred, mask, ids_restore): the hook for parity checks against any
// implementation. With --adamw-lr it also takes one AdamW step (our parameter groups) and
// writes the updated parameters.
#include <torch/torch.h>

#include <cstdio>
#include <memory>

#include "commands.h"
#include "io/model_files.h"
#include "model/masking.h"
#include "read_weights.h"
#include "train/optimizer.h"

namespace mae::cli {

namespace {
struct ForwardArgs {
  std::string checkpoint, input, noise, out, params_out;
  double ratio = -1.0;  // the checkpoint's training ratio
  double adamw_lr = 0.0;
  double weight_decay = 0.05;
};

at::Tensor first_tensor(const std::string& path, const char* preferred) {
  auto content = read_safetensors(path);
  if (const auto* t = content.find(preferred)) return *t;
  if (content.tensors.size() == 1) return content.tensors.front().second;
  throw std::invalid_argument("'" + path + "' must hold '" + preferred + "' or a single tensor");
}

void run(const ForwardArgs& a) {
  const auto file = read_weights(a.checkpoint);
  auto model = build_model(file, "cpu");
  auto input = first_tensor(a.input, "pixel_values").to(at::kFloat);
  auto noise = first_tensor(a.noise, "noise").to(at::kFloat);
  const double ratio = a.ratio >= 0 ? a.ratio : default_mask_ratio(file);
  const int64_t len_keep = keep_count(file.config.num_patches(), ratio);
  const bool step = a.adamw_lr > 0;
  if (step) model->train();
  auto out = model->forward(input, noise, len_keep);
  write_safetensors(a.out,
                    {{"loss", out.loss.detach()},
                     {"pred", out.pred.detach()},
                     {"mask", out.mask},
                     {"ids_restore", out.ids_restore}},
                    {{"format", "mae-forward"}});
  std::printf("loss %.8f, wrote %s\n", out.loss.item<double>(), a.out.c_str());
  if (!step) return;
  TrainConfig t;
  t.lr = a.adamw_lr;
  t.weight_decay = a.weight_decay;
  auto params = trainable_parameters(model);
  auto optimizer = make_optimizer(params, t);
  out.loss.backward();
  optimizer->step(nonfinite_flag(out.loss, params));
  NamedTensors updated;
  for (const auto& p : params) updated.emplace_back(p.name, p.tensor.detach());
  write_safetensors(a.params_out, updated, {});
  std::printf("one AdamW step (lr %.3g), wrote %s\n", a.adamw_lr, a.params_out.c_str());
}
}  // namespace

void add_forward(CLI::App& app) {
  auto args = std::make_shared<ForwardArgs>();
  auto* cmd = app.add_subcommand("forward", "one forward pass with given input and noise");
  cmd->add_option("--checkpoint", args->checkpoint, kCheckpointHelp)->required();
  cmd->add_option("--input", args->input, "safetensors with pixel_values (N, C, H, W)")->required();
  cmd->add_option("--noise", args->noise, "safetensors with noise (N, L)")->required();
  cmd->add_option("--out", args->out, "output safetensors")->required();
  cmd->add_option("--ratio", args->ratio,
                  "mask ratio (default: the ratio the checkpoint was trained with, else 0.75)");
  cmd->add_option("--adamw-lr", args->adamw_lr, "also take one AdamW step with this lr");
  cmd->add_option("--weight-decay", args->weight_decay, "AdamW weight decay")
      ->capture_default_str();
  cmd->add_option("--params-out", args->params_out, "where the stepped parameters go");
  cmd->callback([args] {
    if (args->adamw_lr > 0 && args->params_out.empty())
      throw std::invalid_argument("--adamw-lr needs --params-out");
    run(*args);
  });
}

}  // namespace mae::cli
