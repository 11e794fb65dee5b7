// Why: see optimizer.h.
#include "train/optimizer.h"

#include <ATen/ATen.h>

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

std::unique_ptr<torch::optim::AdamW> make_optimizer(const std::vector<NamedParameter>& params,
                                                    const TrainConfig& config) {
  std::vector<at::Tensor> decay, no_decay;
  for (const auto& p : params) (p.decay ? decay : no_decay).push_back(p.tensor);
  auto base =
      torch::optim::AdamWOptions(config.peak_lr()).betas({config.beta1, config.beta2}).eps(1e-8);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(
                                    torch::optim::AdamWOptions(base).weight_decay(0.0)));
  groups.emplace_back(decay,
                      std::make_unique<torch::optim::AdamWOptions>(
                          torch::optim::AdamWOptions(base).weight_decay(config.weight_decay)));
  return std::make_unique<torch::optim::AdamW>(std::move(groups), base);
}

void set_learning_rate(torch::optim::AdamW& optimizer, double lr) {
  for (auto& group : optimizer.param_groups())
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
}

NamedTensors export_optimizer_state(torch::optim::AdamW& optimizer,
                                    const std::vector<NamedParameter>& params) {
  NamedTensors out;
  auto& state = optimizer.state();
  for (const auto& p : params) {
    auto it = state.find(p.tensor.unsafeGetTensorImpl());
    if (it == state.end()) continue;
    auto& s = static_cast<torch::optim::AdamWParamState&>(*it->second);
    out.emplace_back("optimizer." + p.name + ".exp_avg", s.exp_avg());
    out.emplace_back("optimizer." + p.name + ".exp_avg_sq", s.exp_avg_sq());
    out.emplace_back("optimizer." + p.name + ".step", at::tensor({s.step()}, at::kLong));
  }
  return out;
}

void import_optimizer_state(torch::optim::AdamW& optimizer,
                            const std::vector<NamedParameter>& params,
                            const SafetensorsContent& content) {
  auto& state = optimizer.state();
  state.clear();
  for (const auto& p : params) {
    const auto* avg = content.find("optimizer." + p.name + ".exp_avg");
    const auto* avg_sq = content.find("optimizer." + p.name + ".exp_avg_sq");
    const auto* step = content.find("optimizer." + p.name + ".step");
    if (!avg && !avg_sq && !step) continue;  // never stepped
    if (!avg || !avg_sq || !step || !avg->sizes().equals(p.tensor.sizes()) ||
        !avg_sq->sizes().equals(p.tensor.sizes()) || step->numel() != 1)
      throw CheckpointError("optimizer state for '" + p.name + "' is missing or has a wrong shape");
    auto s = std::make_unique<torch::optim::AdamWParamState>();
    s->step(step->to(at::kLong).item<int64_t>());
    s->exp_avg(avg->to(p.tensor.device(), p.tensor.scalar_type()).clone());
    s->exp_avg_sq(avg_sq->to(p.tensor.device(), p.tensor.scalar_type()).clone());
    state[p.tensor.unsafeGetTensorImpl()] = std::move(s);
  }
}

}  // namespace mae
