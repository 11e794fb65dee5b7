// Why: on a GPU the model's Linear layers run through an autograd function of our own, whose
// backward is at::linear's products with the bias gradient summed by a kernel of ours. Here,
// on the CPU (where the sum is torch's), that function must give at::linear's output and
// gradients (to float32 rounding where its products are oneDNN's); cuda_tests compares the
// kernel's sums with torch's.
#include <doctest/doctest.h>
#include <torch/torch.h>

#include "model/cpu_products.h"
#include "model/linear.h"
#include "relative_gap.h"

using namespace mae;

namespace {
struct Grads {
  at::Tensor out, x, weight, bias;
};

Grads run(bool ours, at::ScalarType type) {
  torch::manual_seed(8);
  auto x = at::randn({3, 7, 24}).to(type).requires_grad_(true);
  auto weight = at::randn({16, 24}).to(type).requires_grad_(true);
  auto bias = at::randn({16}).to(type).requires_grad_(true);
  const auto grad = at::randn({3, 7, 16}).to(type);
  auto out = ours ? linear_with_bias_grad_kernel(x, weight, bias) : at::linear(x, weight, bias);
  out.backward(grad);
  return {out.detach(), x.grad(), weight.grad(), bias.grad()};
}
}  // namespace

TEST_CASE("the Linear function with its own backward gives at::linear's output and gradients") {
  for (const auto type : {at::kFloat, at::kBFloat16}) {
    CAPTURE(type);
    const auto ours = run(true, type);
    const auto torch_own = run(false, type);
    const double tolerance = type == at::kFloat ? 1e-6 : 1e-2;
    if (type == at::kFloat && cpu_gemm() == CpuGemm::OneDnn)
      CHECK(relative_gap(ours.out, torch_own.out) < tolerance);
    else
      CHECK(at::equal(ours.out, torch_own.out));
    CHECK(relative_gap(ours.x, torch_own.x) < tolerance);
    CHECK(relative_gap(ours.weight, torch_own.weight) < tolerance);
    CHECK(at::equal(ours.bias, torch_own.bias));  // torch's sum on the CPU
  }
  // The model's Linear layers take it only on a GPU.
  auto x = at::randn({2, 8}, at::kBFloat16).requires_grad_(true);
  CHECK_FALSE(
      bias_grad_kernel_applies(x, at::randn({8, 8}, at::kBFloat16), at::randn({8}, at::kBFloat16)));
}
