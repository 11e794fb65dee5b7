// Why: under autocast each matrix product casts its float32 weight and bias to bf16, a kernel
// apiece, and backward casts each of their gradients back, another kernel apiece. On a GPU a
// ViT-B/16 step is then some 400 tiny kernels (1.4 ms of a 36 ms step on an H200 when last
// profiled). Cast together, a training step's weights take one multi-tensor copy each way,
// with the same values: autocast's rounding to bf16, and the gradients' exact way back.
#pragma once

#include <ATen/core/Tensor.h>

#include <unordered_map>
#include <vector>

namespace mae {

class WeightCasts {
 public:
  // Casts `params` (float32) to `type` together, differentiably: their gradients come back to
  // float32 together at the end of backward. Until destroyed, cast_weight on this thread
  // returns these casts.
  WeightCasts(const std::vector<at::Tensor>& params, at::ScalarType type);
  ~WeightCasts();
  WeightCasts(const WeightCasts&) = delete;
  WeightCasts& operator=(const WeightCasts&) = delete;

  const at::Tensor* find(const at::Tensor& param) const;

 private:
  std::unordered_map<const void*, at::Tensor> casts_;  // by the parameter's TensorImpl
  const WeightCasts* outer_;
};

// `param`'s cast from the WeightCasts active on this thread, or `param` itself.
const at::Tensor& cast_weight(const at::Tensor& param);

// Whether a training step casts its weights together here: autograd records, autocast is on
// for `device` in a 16-bit type, and MAE_UNFUSED does not name "casts".
bool weight_casts_apply(c10::DeviceType device);

}  // namespace mae
