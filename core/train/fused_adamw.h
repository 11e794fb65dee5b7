// Why: torch::optim::AdamW launches about ten kernels per parameter and keeps its step count on
// the host. ATen's fused kernel (_fused_adamw_, CPU and CUDA) updates a whole group of
// parameters in one call, and returns untouched when its found_inf flag is set, so a
// non-finite step is skipped on the device without the host reading anything. The update is
// torch.optim.AdamW's (decoupled weight decay, bias-corrected moments, eps outside the root).
#pragma once

#include <ATen/Tensor.h>

#include <vector>

namespace mae {

class FusedAdamW {
 public:
  struct Group {
    std::vector<at::Tensor> params;
    double weight_decay = 0.0;
  };
  // A parameter's state; `step` is a float scalar on the parameter's device, as the kernel
  // reads it there.
  struct State {
    at::Tensor exp_avg, exp_avg_sq, step;
  };

  FusedAdamW(std::vector<Group> groups, double lr, double beta1, double beta2, double eps);

  // With a learning-rate tensor in use, set_lr writes it on the device (a queued fill).
  void set_lr(double lr);
  // From now on the kernel reads the learning rate from a float scalar on the parameters'
  // device, so a captured CUDA graph replays with each step's scheduled rate.
  void use_device_lr();
  double lr() const { return lr_; }
  const std::vector<Group>& groups() const { return groups_; }

  // One update of every parameter that has a gradient. `found_inf` is a float scalar on the
  // parameters' device: 1 skips the step (weights, moments and step counts unchanged).
  void step(const at::Tensor& found_inf);
  // Gradients set to none (the next backward writes them afresh instead of adding).
  void zero_grad();

  // nullptr before the parameter's first step (or for a tensor not optimized here).
  const State* state_of(const at::Tensor& param) const;
  // Replaces a parameter's state (resume); the tensors must match the parameter's shape.
  void set_state(const at::Tensor& param, State state);

 private:
  // The parameter's state, defined or not; nullptr for a tensor not optimized here.
  const State* slot_of(const at::Tensor& param) const;

  std::vector<Group> groups_;
  std::vector<std::vector<State>> states_;  // per group, per parameter; undefined until used
  double lr_, beta1_, beta2_, eps_;
  at::Tensor device_lr_;  // undefined unless use_device_lr()
};

}  // namespace mae
