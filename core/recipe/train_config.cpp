// Why: a config arrives from the command line, the app's form and checkpoints alike, so every field
// round-trips through JSON and validate() refuses an out-of-range value with a message naming the
// field, before a run starts.
#include "recipe/train_config.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <numbers>
#include <stdexcept>

#include "util/json_numbers.h"
#include "util/one_line_error.h"

namespace mae {

std::string TrainConfig::to_json() const {
  nlohmann::json j = {{"data", data},
                      {"batch", batch},
                      {"accum_steps", accum_steps},
                      {"ranks", ranks},
                      {"total_steps", total_steps},
                      {"base_lr", base_lr},
                      {"lr", lr},
                      {"min_lr", min_lr},
                      {"warmup_steps", warmup_steps},
                      {"weight_decay", weight_decay},
                      {"beta1", beta1},
                      {"beta2", beta2},
                      {"mask_ratio", mask_ratio},
                      {"mask_strategy", to_string(mask_strategy)},
                      {"crop_scale_min", crop_scale_min},
                      {"hflip", hflip},
                      {"seed", seed},
                      {"device", device},
                      {"bf16", bf16},
                      {"cpu_bf16", cpu_bf16},
                      {"cuda_graphs", cuda_graphs},
                      {"crops_on_device", crops_on_device},
                      {"loader_workers", loader_workers}};
  return j.dump();
}

TrainConfig TrainConfig::from_json(const std::string& text) {
  TrainConfig c;
  try {
    auto j = nlohmann::json::parse(text);
    c.data = j.value("data", c.data);
    c.batch = json_integer_or(j, "batch", c.batch);
    c.accum_steps = json_integer_or(j, "accum_steps", c.accum_steps);
    c.ranks = json_integer_or(j, "ranks", c.ranks);
    c.total_steps = json_integer_or(j, "total_steps", c.total_steps);
    c.base_lr = j.value("base_lr", c.base_lr);
    c.lr = j.value("lr", c.lr);
    c.min_lr = j.value("min_lr", c.min_lr);
    c.warmup_steps = json_integer_or(j, "warmup_steps", c.warmup_steps);
    c.weight_decay = j.value("weight_decay", c.weight_decay);
    c.beta1 = j.value("beta1", c.beta1);
    c.beta2 = j.value("beta2", c.beta2);
    c.mask_ratio = j.value("mask_ratio", c.mask_ratio);
    c.mask_strategy = parse_mask_strategy(j.value("mask_strategy", std::string("random")));
    c.crop_scale_min = j.value("crop_scale_min", c.crop_scale_min);
    c.hflip = j.value("hflip", c.hflip);
    if (j.contains("seed"))
      c.seed = j["seed"].is_number_unsigned()
                   ? j["seed"].get<uint64_t>()
                   : static_cast<uint64_t>(std::max<int64_t>(0, json_integer(j["seed"], "seed")));
    c.device = j.value("device", c.device);
    c.bf16 = j.value("bf16", c.bf16);
    c.cpu_bf16 = j.value("cpu_bf16", c.cpu_bf16);
    c.cuda_graphs = j.value("cuda_graphs", c.cuda_graphs);
    c.crops_on_device = j.value("crops_on_device", c.crops_on_device);
    c.loader_workers = json_integer_or(j, "loader_workers", c.loader_workers);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument("training config: " + one_line_error(e));
  }
  c.validate();
  return c;
}

void TrainConfig::validate() const {
  auto count = [](int64_t value, int64_t low, int64_t high, const char* name) {
    if (value < low || value > high)
      throw std::invalid_argument(std::string("training config: ") + name + " is " +
                                  std::to_string(value) + ", outside " + std::to_string(low) +
                                  ".." + std::to_string(high));
  };
  auto real = [](double value, double low, double high, const char* name) {
    if (!(value >= low && value <= high)) {
      char text[160];
      std::snprintf(text, sizeof(text), "training config: %s is %g, outside [%g, %g]", name, value,
                    low, high);
      throw std::invalid_argument(text);
    }
  };
  count(batch, 1, 1 << 16, "batch");
  count(accum_steps, 1, kMaxAccumSteps, "accum_steps");
  count(ranks, 1, 1 << 16, "ranks");
  count(total_steps, 1, int64_t{1} << 40, "total_steps");
  count(warmup_steps, 0, int64_t{1} << 40, "warmup_steps");
  count(loader_workers, 0, 256, "loader_workers");
  real(base_lr, 0.0, 1e6, "base_lr");
  real(lr, 0.0, 1e6, "lr");
  real(min_lr, 0.0, 1e6, "min_lr");
  real(weight_decay, 0.0, 10.0, "weight_decay");
  real(beta1, 0.0, 0.999999, "beta1");
  real(beta2, 0.0, 0.999999, "beta2");
  real(mask_ratio, 0.0, 0.99, "mask_ratio");
  real(crop_scale_min, 0.01, 1.0, "crop_scale_min");
  if (data.size() > 4096 || device.size() > 64)
    throw std::invalid_argument("training config: data or device name is too long");
}

double learning_rate_at(const TrainConfig& config, int64_t step) {
  const double peak = config.peak_lr();
  if (step < config.warmup_steps)
    return peak * static_cast<double>(step) / static_cast<double>(config.warmup_steps);
  const double span =
      static_cast<double>(std::max<int64_t>(1, config.total_steps - config.warmup_steps));
  const double progress = std::min(1.0, static_cast<double>(step - config.warmup_steps) / span);
  return config.min_lr +
         (peak - config.min_lr) * 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
}

}  // namespace mae
