// Why: the CPU attention and GELU kernels keep what backward needs (probabilities, slopes)
// only when autograd will record them, and both must ask that question the same way.
#pragma once

#include <ATen/core/Tensor.h>
#include <ATen/core/grad_mode.h>

namespace mae {

// Whether autograd records an op on `x`: grad mode is on and `x` requires grad.
inline bool records_grad(const at::Tensor& x) {
  return at::GradMode::is_enabled() && x.requires_grad();
}

}  // namespace mae
