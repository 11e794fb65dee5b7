// Why: `mae eval`: masked-patch MSE of a checkpoint against the mean-fill and nearest-pixel
// baselines on identical masks, as a table or JSON.
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands.h"
#include "infer/evaluate.h"
#include "io/model_files.h"
#include "mask_options.h"
#include "read_weights.h"
#include "train/device.h"
#include "unreadable_files.h"

namespace mae::cli {

namespace {

// "  (model is 42% lower)", or for a model worse than the baseline "  (model is 13% higher)", and
// from twice the baseline up "  (model is 6.1x higher)" (a ratio to one decimal called 0.3573
// against 0.3527 "1.0x higher"); nothing for a model MSE that is not a number (weights with NaN:
// read_weights has said so), or a baseline the table shows as 0.0000: pictures of one flat colour,
// which mean fill restores but for rounding (1e-14, and "the model is 1426154292797.8x higher").
std::string model_against(double model, double baseline) {
  char text[64];
  if (!std::isfinite(model) || !(baseline >= 0.5e-4)) return "";
  if (model <= baseline)
    std::snprintf(text, sizeof text, "  (model is %.0f%% lower)", 100 * (1 - model / baseline));
  else if (model < 2 * baseline)
    std::snprintf(text, sizeof text, "  (model is %.0f%% higher)", 100 * (model / baseline - 1));
  else
    std::snprintf(text, sizeof text, "  (model is %.1fx higher)", model / baseline);
  return text;
}

struct EvalArgs {
  std::string checkpoint;
  std::string data = "fashion-mnist:test";
  std::string device = "auto";
  MaskArgs mask;
  int64_t max_images = 0;
  bool json = false;
};

void run(const EvalArgs& a) {
  const auto file = read_weights(a.checkpoint);
  auto model = build_model(file, resolve_device(a.device));
  // One pass over the pictures: none is read twice, so none is kept decoded.
  DataOptions data_options;
  data_options.memory_budget = 0;
  auto dataset = open_dataset(a.data, file.config.in_chans, data_options);
  const auto mask = resolve_mask(a.mask, file);
  EvalOptions options;
  options.ratio = mask.ratio;
  options.strategy = mask.strategy;
  options.seed = mask.seed;
  options.max_images = a.max_images;
  auto r = evaluate(model, *dataset, options);
  if (r.images == 0 && !r.unreadable.empty())
    throw std::runtime_error(a.data + ": none of its " + std::to_string(r.unreadable.size()) +
                             " images could be read; the first: " + r.unreadable.front());
  if (a.json) {
    nlohmann::json j = {{"checkpoint", a.checkpoint},
                        {"data", a.data},
                        {"images", r.images},
                        {"ratio", r.ratio},
                        {"strategy", a.mask.strategy},
                        {"seed", a.mask.seed},
                        {"model_mse", r.model_mse},
                        {"mean_fill_mse", r.mean_fill_mse},
                        {"nearest_pixel_mse", r.nearest_mse},
                        {"model_vs_mean_fill", r.model_mse / r.mean_fill_mse},
                        {"model_vs_nearest_pixel", r.model_mse / r.nearest_mse},
                        {"ratio_source", a.mask.ratio >= 0 ? "--ratio" : "checkpoint"},
                        {"space", r.space + ", removed patches only"},
                        {"unreadable", r.unreadable}};
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  print_unreadable(r.unreadable);
  std::printf("%lld images, ratio %.2f%s (%s), masked-patch MSE in %s:\n",
              static_cast<long long>(r.images), r.ratio, mask.ratio_note, a.mask.strategy.c_str(),
              r.space.c_str());
  std::printf("  model          %.4f\n", r.model_mse);
  std::printf("  mean fill      %.4f%s\n", r.mean_fill_mse,
              model_against(r.model_mse, r.mean_fill_mse).c_str());
  std::printf("  nearest pixel  %.4f%s\n", r.nearest_mse,
              model_against(r.model_mse, r.nearest_mse).c_str());
}
}  // namespace

void add_eval(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand("eval", "masked-patch MSE of a checkpoint vs two baselines");
  cmd->add_option("--checkpoint", args->checkpoint, kCheckpointHelp)->required();
  cmd->add_option("--data", args->data, "folder, image, fashion-mnist[:test]")
      ->capture_default_str();
  add_mask_options(cmd, &args->mask);
  cmd->add_option("--max-images", args->max_images, "evaluate only the first N images")
      ->check(kCount);
  cmd->add_option("--device", args->device, "auto (a GPU when there is one), cpu or cuda")
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "print JSON");
  cmd->callback([args] { run(*args); });
}

}  // namespace mae::cli
