// Why: the casts come from one autograd function with a tensor per
// parameter, so the linear layers' backward hands it bf16 gradients, and it turns them all
// into float32 in one copy when the last has arrived.
#include "model/weight_casts.h"

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <torch/csrc/autograd/custom_function.h>

#include "model/gpu_fusions.h"

namespace mae {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

thread_local const WeightCasts* active_casts = nullptr;

class CastTogetherFunction : public torch::autograd::Function<CastTogetherFunction> {
 public:
  static tensor_list forward(AutogradContext* ctx, at::TensorList params, at::ScalarType type) {
    tensor_list casts;
    casts.reserve(params.size());
    for (const auto& p : params) casts.push_back(at::empty_like(p, p.options().dtype(type)));
    at::_foreach_copy_(casts, params);
    ctx->set_materialize_grads(false);  // a weight left unused gets no gradient
    ctx->saved_data["param_type"] =
        static_cast<int64_t>(params.empty() ? at::kFloat : params.front().scalar_type());
    return casts;
  }

  static tensor_list backward(AutogradContext* ctx, const tensor_list& grads) {
    const auto type = static_cast<at::ScalarType>(ctx->saved_data["param_type"].toInt());
    tensor_list out(grads.size() + 1);  // one per parameter, none for `type`
    std::vector<at::Tensor> from, to;
    for (size_t i = 0; i < grads.size(); ++i) {
      if (!grads[i].defined()) continue;
      out[i] = at::empty_like(grads[i], grads[i].options().dtype(type));
      from.push_back(grads[i]);
      to.push_back(out[i]);
    }
    if (!from.empty()) at::_foreach_copy_(to, from);
    return out;
  }
};

}  // namespace

WeightCasts::WeightCasts(const std::vector<at::Tensor>& params, at::ScalarType type)
    : outer_(active_casts) {
  const auto casts = CastTogetherFunction::apply(at::TensorList(params), type);
  for (size_t i = 0; i < params.size(); ++i)
    casts_.emplace(params[i].unsafeGetTensorImpl(), casts[i]);
  active_casts = this;
}

WeightCasts::~WeightCasts() { active_casts = outer_; }

const at::Tensor* WeightCasts::find(const at::Tensor& param) const {
  const auto it = casts_.find(param.unsafeGetTensorImpl());
  return it == casts_.end() ? nullptr : &it->second;
}

const at::Tensor& cast_weight(const at::Tensor& param) {
  if (!active_casts || !param.defined()) return param;
  const auto* cast = active_casts->find(param);
  return cast ? *cast : param;
}

bool weight_casts_apply(c10::DeviceType device) {
  if (!at::GradMode::is_enabled() || !at::autocast::is_autocast_enabled(device)) return false;
  const auto type = at::autocast::get_autocast_dtype(device);
  if (type != at::kBFloat16 && type != at::kHalf) return false;
  return gpu_fusion_on(GpuFusion::casts);
}

}  // namespace mae
