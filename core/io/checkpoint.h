// Why: our checkpoints: the model tensors under the authors' names, optionally the AdamW
// state, and in the metadata the model config, training config, step, loss and RNG scheme.
// Loading is strict: every missing or mis-shaped tensor is named in the error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "io/safetensors.h"
#include "model/mae_model.h"
#include "recipe/train_config.h"

namespace mae {

struct CheckpointInfo {
  MaeConfig model;
  std::optional<TrainConfig> train;
  int64_t step = 0;
  double loss = 0.0;
  // Which training run saved it, kept across its resumes, so that a run's curve file can be
  // told from another run's: 0 where not known (converted weights, older checkpoints).
  uint64_t run = 0;
};

struct LoadedCheckpoint {
  CheckpointInfo info;
  SafetensorsContent content;
};

// The model's parameters and buffers, named as in the authors' state_dict.
NamedTensors model_state(MaeModel& model);

// `weight_dtype` (float32 by default, float16/bfloat16 for small shipped files) applies to
// the learned parameters; the fixed sin-cos tables always stay float32. `run` (0: none) is the
// training run's identity.
void save_checkpoint(const std::string& path, MaeModel& model, const NamedTensors& optimizer,
                     const TrainConfig* train, int64_t step, double loss,
                     at::ScalarType weight_dtype = at::kFloat, uint64_t run = 0);
LoadedCheckpoint read_checkpoint(const std::string& path);
// The configs, step and loss without reading the weights.
CheckpointInfo read_checkpoint_info(const std::string& path);
// The same from a file already read; `path` only names it in errors.
LoadedCheckpoint checkpoint_from_content(SafetensorsContent content, const std::string& path);
// Copies weights into `model`; throws CheckpointError listing what does not fit.
void load_weights(MaeModel& model, const SafetensorsContent& content);

}  // namespace mae
