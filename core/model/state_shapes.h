// Why: a checkpoint's config decides how much memory the model takes, and its tensors must
// fit that model. The shapes are worked out from the config alone, so a file can be checked
// tensor by tensor before a single weight is allocated.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "model/config.h"

namespace mae {

// Every parameter and buffer MaeModel(config) has, by name (as the authors' models_mae.py
// names them), with its shape.
std::vector<std::pair<std::string, std::vector<int64_t>>> expected_state_shapes(
    const MaeConfig& config);

// "" when `tensors` holds every expected name with its expected shape (extra entries are
// ignored); else the count of misfits and the first few ("blocks.0.attn.qkv.weight missing;
// pos_embed has shape [1, 50, 64], the model expects [1, 17, 64]").
std::string state_misfit(const MaeConfig& config,
                         const std::vector<std::pair<std::string, at::Tensor>>& tensors);

}  // namespace mae
