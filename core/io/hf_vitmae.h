// Why: Hugging Face's ViTMAEForPreTraining is the other implementation users hold weights
// for. Its keys split the fused qkv into query/key/value and rename every module; its
// config.json names the sizes and the LayerNorm eps. This maps both ways, losslessly.
#pragma once

#include <optional>
#include <string>

#include "io/safetensors.h"
#include "model/config.h"

namespace mae {

// Our config from HF's config.json text (throws CheckpointError on unsupported settings).
MaeConfig config_from_hf_json(const std::string& text);
// config.json's mask_ratio, when present and in (0, 1).
std::optional<double> mask_ratio_from_hf_json(const std::string& text);
// HF config.json text for our config (architectures: ViTMAEForPreTraining).
std::string hf_config_json(const MaeConfig& config, double mask_ratio = 0.75);

// Our names (authors' layout) -> HF names, splitting qkv; and back, fusing q/k/v.
NamedTensors to_hf_names(const NamedTensors& ours);
NamedTensors from_hf_names(const NamedTensors& hf);

// A folder holding config.json and model.safetensors, as save_pretrained writes it.
bool is_hf_folder(const std::string& path);
void write_hf_folder(const std::string& dir, const MaeConfig& config, const NamedTensors& ours);

}  // namespace mae
