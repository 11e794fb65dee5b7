// Why: as torch.optim's fused path does, the step counts are advanced before
// the kernel by (1 - found_inf), so a skipped step leaves them where they were.
#include "train/fused_adamw.h"

#include <ATen/ATen.h>

#include <stdexcept>

namespace mae {

FusedAdamW::FusedAdamW(std::vector<Group> groups, double lr, double beta1, double beta2, double eps)
    : groups_(std::move(groups)), lr_(lr), beta1_(beta1), beta2_(beta2), eps_(eps) {
  for (const auto& g : groups_) states_.emplace_back(g.params.size());
}

const FusedAdamW::State* FusedAdamW::slot_of(const at::Tensor& param) const {
  for (size_t g = 0; g < groups_.size(); ++g)
    for (size_t i = 0; i < groups_[g].params.size(); ++i)
      if (groups_[g].params[i].is_same(param)) return &states_[g][i];
  return nullptr;
}

const FusedAdamW::State* FusedAdamW::state_of(const at::Tensor& param) const {
  const State* slot = slot_of(param);
  return slot && slot->step.defined() ? slot : nullptr;
}

void FusedAdamW::set_state(const at::Tensor& param, State state) {
  if (!state.exp_avg.sizes().equals(param.sizes()) ||
      !state.exp_avg_sq.sizes().equals(param.sizes()) || state.step.numel() != 1)
    throw std::invalid_argument("optimizer state does not match its parameter");
  auto* slot = const_cast<State*>(slot_of(param));
  if (!slot) throw std::invalid_argument("the tensor is not a parameter of this optimizer");
  const auto on_param = param.options();
  *slot = State{state.exp_avg.to(on_param).clone(), state.exp_avg_sq.to(on_param).clone(),
                state.step.to(on_param.dtype(at::kFloat)).reshape({}).clone()};
}

void FusedAdamW::set_lr(double lr) {
  lr_ = lr;
  if (device_lr_.defined()) device_lr_.fill_(lr);
}

void FusedAdamW::use_device_lr() {
  for (const auto& g : groups_)
    if (!g.params.empty()) {
      device_lr_ = at::full({}, lr_, g.params.front().options().dtype(at::kFloat));
      return;
    }
}

void FusedAdamW::step(const at::Tensor& found_inf) {
  at::NoGradGuard no_grad;
  const auto advance = 1 - found_inf;
  for (size_t g = 0; g < groups_.size(); ++g) {
    std::vector<at::Tensor> params, grads, avgs, avg_sqs, steps;
    for (size_t i = 0; i < groups_[g].params.size(); ++i) {
      const auto& p = groups_[g].params[i];
      if (!p.grad().defined()) continue;
      auto& s = states_[g][i];
      if (!s.step.defined())
        s = State{at::zeros_like(p), at::zeros_like(p),
                  at::zeros({}, p.options().dtype(at::kFloat))};
      params.push_back(p);
      grads.push_back(p.grad());
      avgs.push_back(s.exp_avg);
      avg_sqs.push_back(s.exp_avg_sq);
      steps.push_back(s.step);
    }
    if (params.empty()) continue;
    at::_foreach_add_(steps, advance);
    if (device_lr_.defined())
      at::_fused_adamw_(params, grads, avgs, avg_sqs, {}, steps, device_lr_, beta1_, beta2_,
                        groups_[g].weight_decay, eps_, /*amsgrad=*/false, /*maximize=*/false,
                        /*grad_scale=*/std::nullopt, found_inf);
    else
      at::_fused_adamw_(params, grads, avgs, avg_sqs, {}, steps, lr_, beta1_, beta2_,
                        groups_[g].weight_decay, eps_, /*amsgrad=*/false, /*maximize=*/false,
                        /*grad_scale=*/std::nullopt, found_inf);
  }
}

void FusedAdamW::zero_grad() {
  for (auto& g : groups_)
    for (auto& p : g.params) p.mutable_grad() = at::Tensor();
}

}  // namespace mae
