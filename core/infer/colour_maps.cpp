// Why: both maps scale by the tensor's own largest value, so every picture uses its whole colour
// range whatever the units of what it shows.
#include "infer/colour_maps.h"

#include <ATen/ATen.h>

namespace mae {

at::Tensor heat_colours(const at::Tensor& values) {
  auto v = values.to(at::kCPU, at::kFloat);
  v = v / v.max().clamp_min(1e-8);
  return at::stack({(3 * v).clamp(0, 1), (3 * v - 1).clamp(0, 1), (3 * v - 2).clamp(0, 1)});
}

at::Tensor diverging_colours(const at::Tensor& values) {
  auto v = values.to(at::kCPU, at::kFloat);
  auto scaled = v / v.abs().max().clamp_min(1e-8);
  auto pos = scaled.clamp_min(0), neg = (-scaled).clamp_min(0);
  return at::stack({1 - neg, 1 - pos - neg, 1 - pos}).clamp(0, 1);
}

}  // namespace mae
