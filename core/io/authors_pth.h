// Why: the authors' published weights (mae_pretrain_vit_*.pth, *_full.pth,
// mae_visualize_vit_*.pth) and their training checkpoints carry no config: the
// architecture is read off the tensor shapes, and norm_pix_loss off the saved args or the
// file name. Encoder-only files open for inspection with a note that they cannot reconstruct.
#pragma once

#include <string>

#include "io/safetensors.h"
#include "model/config.h"

namespace mae {

struct InferredArchitecture {
  MaeConfig config;
  bool has_decoder = true;
  std::string note;  // how uncertain facts (heads, norm_pix_loss) were decided
};

// From a state dict under the authors' names. `args_norm_pix` is -1 when unknown.
InferredArchitecture infer_architecture(const NamedTensors& state, const std::string& file_name,
                                        int args_norm_pix);

// Writes {'model': state_dict} as torch.save does; the authors' model loads it as is. The
// config rides along as a JSON string under kConfigKey, since head counts and norm_pix_loss
// cannot be read off the shapes of small models.
void write_authors_pth(const std::string& path, const NamedTensors& ours, const MaeConfig& config);
inline constexpr const char* kConfigKey = "mae_studio_config";

}  // namespace mae
