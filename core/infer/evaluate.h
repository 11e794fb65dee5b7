// Why: the honest yardstick of a checkpoint: masked-patch MSE of the model next to two
// baselines on the very same masks (mean of the visible pixels; nearest visible pixel).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "infer/reconstruct.h"

namespace mae {

struct EvalResult {
  int64_t images = 0;
  double ratio = 0.0;
  std::string space;           // where the three are measured (error_space())
  double model_mse = 0.0;      // all three in `space`, removed patches only
  double mean_fill_mse = 0.0;  // each removed patch = per-channel mean of visible pixels
  double nearest_mse = 0.0;    // each removed pixel = nearest visible pixel (Euclidean)
  // Items that could not be decoded, left out as training leaves them out: the file and why.
  std::vector<std::string> unreadable;
};

struct EvalOptions {
  double ratio = 0.75;
  MaskStrategy strategy = MaskStrategy::Random;
  uint64_t seed = 0;
  int64_t max_images = 0;  // 0 = the whole dataset
  int64_t batch = 256;
};

EvalResult evaluate(MaeModel& model, const Dataset& dataset, const EvalOptions& options);

// Baseline fills for one normalized image (C, H, W) and its patch mask (grid_h, grid_w).
at::Tensor mean_fill(const at::Tensor& image, const at::Tensor& mask, int64_t patch);
at::Tensor nearest_visible_fill(const at::Tensor& image, const at::Tensor& mask, int64_t patch);

}  // namespace mae
