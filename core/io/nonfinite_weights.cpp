// Why: one pass of isfinite per tensor, counted only for the tensors that fail it, so a
// healthy ViT-L/16 costs one read of its weights.
#include "io/nonfinite_weights.h"

#include <ATen/ATen.h>

namespace mae {

std::string nonfinite_weights_problem(const std::string& path, const NamedTensors& tensors) {
  int64_t values = 0, bad_tensors = 0;
  std::string first;
  for (const auto& [name, t] : tensors) {
    if (!t.defined() || !at::isFloatingType(t.scalar_type()) || t.numel() == 0) continue;
    if (at::isfinite(t).all().item<bool>()) continue;
    values += at::isfinite(t).logical_not().sum().item<int64_t>();
    if (bad_tensors++ == 0) first = name;
  }
  if (bad_tensors == 0) return "";
  const auto plural = [](int64_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
  };
  return "'" + path + "': " + plural(values, "weight value is", "weight values are") +
         " NaN or infinite, in " + plural(bad_tensors, "tensor", "tensors") + " (first " + first +
         "): its reconstructions, losses and features are NaN";
}

}  // namespace mae
