// Why: two runs that should train alike (ranks against one process, micro-batches against one
// batch) are compared weight by weight, with the attention key bias reported apart: adding a
// constant to every key of a query shifts all of that query's logits equally, which softmax
// ignores, so its exact gradient is zero. What reaches it is rounding noise (1e-10), which
// AdamW divides by its own square root and turns into steps of about the lr; two runs that sum
// in a different order diverge there and only there.
#pragma once

#include <ATen/ATen.h>

#include <algorithm>
#include <string>

struct WeightDifference {
  double worst = 0.0;
  double worst_key_bias = 0.0;
  // Takes in parameter `name`'s largest |a - b|.
  void add(const std::string& name, const at::Tensor& a, const at::Tensor& b) {
    auto diff = (a.to(at::kDouble) - b.to(at::kDouble)).abs();
    if (name.ends_with(".qkv.bias")) {
      const int64_t width = diff.size(0) / 3;
      worst_key_bias = std::max(worst_key_bias, diff.narrow(0, width, width).max().item<double>());
      diff = at::cat({diff.narrow(0, 0, width), diff.narrow(0, 2 * width, width)});
    }
    worst = std::max(worst, diff.max().item<double>());
  }
};
