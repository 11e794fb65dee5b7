// Why: the authors' AdamW set-up (no weight decay on biases and 1-D parameters) and a
// by-name export/import of its state so checkpoints survive module reordering.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "io/safetensors.h"
#include "model/mae_model.h"
#include "recipe/train_config.h"
#include "train/fused_adamw.h"

namespace mae {

struct NamedParameter {
  std::string name;
  at::Tensor tensor;
  bool decay;
};

// Trainable parameters in module order, each marked for weight decay or not.
std::vector<NamedParameter> trainable_parameters(MaeModel& model);

// Two groups, without and with weight decay, at the config's peak lr and betas, eps 1e-8.
std::unique_ptr<FusedAdamW> make_optimizer(const std::vector<NamedParameter>& params,
                                           const TrainConfig& config);

// The optimizer's found_inf for a step: a float scalar on the loss's device, 1 when the loss
// or any gradient is not finite (the gradients' total norm overflows), else 0. No host sync.
at::Tensor nonfinite_flag(const at::Tensor& loss, const std::vector<NamedParameter>& params);

// "optimizer.<param>.exp_avg", "optimizer.<param>.exp_avg_sq", "optimizer.<param>.step".
NamedTensors export_optimizer_state(const FusedAdamW& optimizer,
                                    const std::vector<NamedParameter>& params);
// Throws CheckpointError when the state does not match the parameters.
void import_optimizer_state(FusedAdamW& optimizer, const std::vector<NamedParameter>& params,
                            const SafetensorsContent& content);

}  // namespace mae
