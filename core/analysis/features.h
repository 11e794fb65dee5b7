// Why: a linear probe and k-NN judge what the encoder learned, so they need one fixed way to
// turn images into vectors: the frozen encoder on the whole image (no patch removed), its
// patch tokens averaged; and, as the yardstick any encoder must beat, the raw pixels.
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "model/mae_model.h"

namespace mae {

struct LabelledFeatures {
  at::Tensor features;  // (N, D) float32 on the CPU
  at::Tensor labels;    // (N) int64
  // Items that could not be decoded, left out: the file and why, as their errors say.
  std::vector<std::string> unreadable;
};

// (done, total) images, called after each batch.
using FeatureProgressFn = std::function<void(int64_t, int64_t)>;

// Which items of a dataset of `size` a probe reads: all when max_items <= 0 or >= size,
// else max_items indices spread evenly (class-sorted folders stay balanced).
std::vector<int64_t> probe_indices(int64_t size, int64_t max_items);

// The encoder's final-norm patch tokens, averaged over patches, for the whole image with no
// patch removed (the cls token is left out: MAE trains it with no loss of its own).
// Images are fitted and normalised exactly as evaluation does. Stops early (returning what
// it has) when `stop` is requested.
LabelledFeatures encoder_features(MaeModel& model, const Dataset& dataset,
                                  const std::vector<int64_t>& indices, int64_t batch,
                                  const FeatureProgressFn& progress = {},
                                  std::stop_token stop = {});

// Normalised pixels at the model's input size, average-pooled to at most ~1024 values per
// image so that large inputs stay comparable in cost.
LabelledFeatures pixel_features(const MaeConfig& config, const Dataset& dataset,
                                const std::vector<int64_t>& indices, int64_t batch,
                                std::stop_token stop = {});

}  // namespace mae
