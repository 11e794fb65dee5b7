// Why: results computed two ways (another library, another device, a fused kernel) are
// compared by their largest difference relative to the largest value, so that one tolerance
// reads the same for tensors of any scale.
#pragma once

#include <ATen/ATen.h>

// max |a - b| / max |b|, in double on the CPU.
inline double relative_gap(const at::Tensor& a, const at::Tensor& b) {
  const auto x = a.to(at::kCPU, at::kDouble), y = b.to(at::kCPU, at::kDouble);
  return ((x - y).abs().max() / y.abs().max().clamp_min(1e-12)).item<double>();
}
