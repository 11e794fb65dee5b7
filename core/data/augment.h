// Why: the paper's pre-training augmentation (RandomResizedCrop with bicubic resampling,
// horizontal flip, mean/std normalization) and the plain resize used for evaluation.
// Randomness comes from a caller-owned engine so a batch is a pure function of its seed.
#pragma once

#include <ATen/core/Tensor.h>

#include <random>
#include <vector>

namespace mae {

struct AugmentConfig {
  int64_t out_h = 224;
  int64_t out_w = 224;
  double scale_min = 0.2;  // RandomResizedCrop scale range (min, 1)
  double scale_max = 1.0;
  bool hflip = true;
};

// (C, H, W) in [0,1] -> (C, out_h, out_w) in [0,1], torchvision's RandomResizedCrop
// algorithm (10 tries, then a center crop) with ratio (3/4, 4/3) and a 50% flip.
at::Tensor random_resized_crop(const at::Tensor& image, const AugmentConfig& config,
                               std::mt19937_64& rng);

// Resizes so that the image covers (out_h, out_w), then center-crops: no randomness.
at::Tensor resize_center_crop(const at::Tensor& image, int64_t out_h, int64_t out_w);

// Bicubic (antialiased when shrinking) resize of (C, H, W), clamped to [0,1] like 8-bit
// images would be.
at::Tensor resize_bicubic(const at::Tensor& image, int64_t out_h, int64_t out_w);

// Per-channel (x - mean) / std and its inverse, for (C,H,W) or (N,C,H,W) tensors.
at::Tensor normalize(const at::Tensor& images, const std::vector<double>& mean,
                     const std::vector<double>& std);
at::Tensor denormalize(const at::Tensor& images, const std::vector<double>& mean,
                       const std::vector<double>& std);

}  // namespace mae
