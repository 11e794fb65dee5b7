// Why: the parameter groups are chosen by name and shape, as the authors' param_groups_weight_decay
// does, and the state is exported under parameter names, so a checkpoint reloads whatever order the
// modules are built in.
#include "train/optimizer.h"

#include <ATen/ATen.h>

#include <nlohmann/json.hpp>

namespace mae {

std::vector<NamedParameter> trainable_parameters(MaeModel& model) {
  std::vector<NamedParameter> out;
  for (const auto& item : model->named_parameters()) {
    if (!item.value().requires_grad()) continue;
    const auto& name = item.key();
    const bool is_bias = name.size() >= 5 && name.compare(name.size() - 5, 5, ".bias") == 0;
    out.push_back({name, item.value(), !(is_bias || item.value().dim() <= 1)});
  }
  return out;
}

std::unique_ptr<FusedAdamW> make_optimizer(const std::vector<NamedParameter>& params,
                                           const TrainConfig& config) {
  std::vector<FusedAdamW::Group> groups(2);
  groups[1].weight_decay = config.weight_decay;
  for (const auto& p : params) groups[p.decay ? 1 : 0].params.push_back(p.tensor);
  return std::make_unique<FusedAdamW>(std::move(groups), config.peak_lr(), config.beta1,
                                      config.beta2, 1e-8);
}

at::Tensor nonfinite_flag(const at::Tensor& loss, const std::vector<NamedParameter>& params) {
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> grads;
  for (const auto& p : params)
    if (p.tensor.grad().defined()) grads.push_back(p.tensor.grad());
  auto bad = loss.detach().isfinite().logical_not();
  if (!grads.empty())
    bad.logical_or_(at::stack(at::_foreach_norm(grads)).sum().isfinite().logical_not());
  return bad.to(at::kFloat);
}

NamedTensors export_optimizer_state(const FusedAdamW& optimizer,
                                    const std::vector<NamedParameter>& params) {
  NamedTensors out;
  for (const auto& p : params) {
    const auto* s = optimizer.state_of(p.tensor);
    if (!s) continue;
    out.emplace_back("optimizer." + p.name + ".exp_avg", s->exp_avg);
    out.emplace_back("optimizer." + p.name + ".exp_avg_sq", s->exp_avg_sq);
    out.emplace_back("optimizer." + p.name + ".step",
                     s->step.to(at::kCPU).to(at::kLong).reshape({1}));
  }
  return out;
}

void import_optimizer_state(FusedAdamW& optimizer, const std::vector<NamedParameter>& params,
                            const SafetensorsContent& content) {
  for (const auto& p : params) {
    const auto* avg = content.find("optimizer." + p.name + ".exp_avg");
    const auto* avg_sq = content.find("optimizer." + p.name + ".exp_avg_sq");
    const auto* step = content.find("optimizer." + p.name + ".step");
    if (!avg && !avg_sq && !step) continue;  // never stepped
    if (!avg || !avg_sq || !step || !avg->sizes().equals(p.tensor.sizes()) ||
        !avg_sq->sizes().equals(p.tensor.sizes()) || step->numel() != 1)
      throw CheckpointError("optimizer state for '" + p.name + "' is missing or has a wrong shape");
    // The kernel counts in float: whole numbers are exact up to 2^24.
    const double count = step->to(at::kDouble).item<double>();
    if (!(count >= 0 && count <= 16777216.0))
      throw CheckpointError("optimizer step count for '" + p.name + "' is " +
                            nlohmann::json(count).dump() + ", outside [0, 2^24]");
    optimizer.set_state(p.tensor, {*avg, *avg_sq, step->to(at::kFloat)});
  }
}

}  // namespace mae
