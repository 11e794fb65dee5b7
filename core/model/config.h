// Why: one plain description of an MAE architecture (no torch here), shared by the model,
// checkpoints, presets and the CLI. Defaults are the authors' ViT-B/16 with 8x512 decoder.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mae {

struct MaeConfig {
  std::string preset = "vit-b16";
  int64_t img_h = 224;
  int64_t img_w = 224;
  int64_t patch = 16;
  int64_t in_chans = 3;
  int64_t embed_dim = 768;
  int64_t depth = 12;
  int64_t num_heads = 12;
  int64_t dec_dim = 512;
  int64_t dec_depth = 8;
  int64_t dec_heads = 16;
  double mlp_ratio = 4.0;
  double ln_eps = 1e-6;        // the authors' LayerNorm eps (HF's default is 1e-12)
  bool norm_pix_loss = false;  // per-patch normalized pixel target
  // Per-channel normalization applied to [0,1] pixels before the model sees them.
  std::vector<double> mean = {0.485, 0.456, 0.406};
  std::vector<double> std = {0.229, 0.224, 0.225};

  int64_t grid_h() const { return img_h / patch; }
  int64_t grid_w() const { return img_w / patch; }
  int64_t num_patches() const { return grid_h() * grid_w(); }
  int64_t patch_dim() const { return patch * patch * in_chans; }

  // Weights of the model this config builds (approximate to a few per cent for norms).
  double parameter_count() const;
  // Throws std::invalid_argument with a message a user can act on: every size is within
  // bounds and the model has at most 4 billion parameters.
  void validate() const;
  std::string to_json() const;
  static MaeConfig from_json(const std::string& text);
};

// ImageNet statistics, and their luminance-weighted mix for 1-channel data; empty for a
// channel count that MaeConfig::validate() refuses.
std::vector<double> default_mean(int64_t channels);
std::vector<double> default_std(int64_t channels);

}  // namespace mae
