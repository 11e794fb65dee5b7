// Why: the authors' AdamW set-up (no weight decay on biases and 1-D parameters) and a
// by-name export/import of its state so checkpoints survive module reordering.
#pragma once

#include <torch/optim/adamw.h>

#include <memory>
#include <string>
#include <vector>

#include "io/safetensors.h"
#include "model/mae_model.h"
#include "recipe/train_config.h"

namespace mae {

struct NamedParameter {
  std::string name;
  at::Tensor tensor;
  bool decay;
};

// Trainable parameters in module order, each marked for weight decay or not.
std::vector<NamedParameter> trainable_parameters(MaeModel& model);

std::unique_ptr<torch::optim::AdamW> make_optimizer(const std::vector<NamedParameter>& params,
                                                    const TrainConfig& config);
void set_learning_rate(torch::optim::AdamW& optimizer, double lr);

// "optimizer.<param>.exp_avg", "optimizer.<param>.exp_avg_sq", "optimizer.<param>.step".
NamedTensors export_optimizer_state(torch::optim::AdamW& optimizer,
                                    const std::vector<NamedParameter>& params);
// Throws CheckpointError when the state does not match the parameters.
void import_optimizer_state(torch::optim::AdamW& optimizer,
                            const std::vector<NamedParameter>& params,
                            const SafetensorsContent& content);

}  // namespace mae
