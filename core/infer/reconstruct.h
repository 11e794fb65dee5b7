// Why: what the app and `mae reconstruct` show: one image masked at any ratio, strategy,
// seed or hand-made mask, and the model's reconstruction as viewable images.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <optional>
#include <string>

#include "model/mae_model.h"

namespace mae {

struct MaskRequest {
  double ratio = 0.75;
  MaskStrategy strategy = MaskStrategy::Random;
  uint64_t seed = 0;
  std::optional<at::Tensor> mask;  // (grid_h, grid_w) or (L), 1 = remove; overrides the rest
};

struct Reconstruction {
  at::Tensor original;  // (C, H, W) in [0,1]
  at::Tensor masked;    // removed patches shown as the model's mean colour (the authors' demo)
  at::Tensor reconstruction;  // the decoder's output for every patch
  at::Tensor pasted;          // reconstruction with the visible patches pasted back
  at::Tensor mask;            // (grid_h, grid_w) float, 1 = removed
  at::Tensor patch_error;     // (grid_h, grid_w) MSE per patch, in error_space()
  double masked_mse = 0.0;    // mean over removed patches, in error_space()
  // The mean squared difference between the reconstruction and the original over the removed
  // patches' pixels, on the pictures' 0-1 scale: what is shown, so that two models compare
  // on equal terms whatever their normalization or norm_pix (their masked_mse cannot).
  double removed_pixel_mse = 0.0;
};

// Where errors are measured: normalized pixels, or for norm_pix_loss models the per-patch
// normalized space they predict in (comparing there needs no hidden statistics).
std::string error_space(const MaeConfig& config);

// `image` is (C, H, W) of any size and channels, bytes or floats in [0, 1]; it is fitted to the
// model's input as fit_picture fits it. Runs without gradients on the model's device. For
// norm_pix_loss models the prediction is mapped back to pixels with statistics of visible patches
// only (see prediction_to_pixels): a removed patch's own mean and variance are never used.
Reconstruction reconstruct(MaeModel& model, const at::Tensor& image, const MaskRequest& request);

// The same work queued on the model's device and nothing read back: the tensors stay there
// (the original, resized on the CPU, stays on the CPU) and the two MSEs are NaN. For a caller
// that copies the pictures back behind an event instead of waiting (the app's training
// snapshots on a GPU).
Reconstruction reconstruct_queued(MaeModel& model, const at::Tensor& image,
                                  const MaskRequest& request);

// Whether a hand-made mask is one of this model's: (grid_h, grid_w), or (L) with L its patch
// count. One painted for a model of another patch grid is not.
bool mask_fits(const MaeConfig& config, const at::Tensor& mask);

// The mask noise a request stands for, (1, L); sets len_keep.
at::Tensor request_noise(const MaeConfig& config, const MaskRequest& request, int64_t* len_keep);

// Prediction (N, L, p*p*C) mapped to normalized pixel space: identity unless norm_pix_loss.
// Then a visible patch takes its own mean and std, and a removed patch the average mean and
// std of its nearest visible patches (grid distance), since its own are hidden.
at::Tensor prediction_to_pixels(const MaeConfig& config, const at::Tensor& pred,
                                const at::Tensor& target_patches, const at::Tensor& mask);

// (t - mean) / sqrt(var + 1e-6) per patch, var unbiased: the norm_pix_loss target.
at::Tensor normalize_patches(const at::Tensor& patches);

// The target a model's predictions are compared with: normalize_patches(target) for
// norm_pix_loss models, else the target itself.
at::Tensor comparison_target(const MaeConfig& config, const at::Tensor& target_patches);

// A horizontal strip of (C, H, W) panels separated by `gap` white pixels.
at::Tensor make_strip(const std::vector<at::Tensor>& panels, int64_t gap = 4);

}  // namespace mae
