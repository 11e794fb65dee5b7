// Why: on a GPU the MLP's fc1 and GELU run through one autograd function whose backward turns
// the GELU output's gradient into fc1's and sums its bias gradient in the same pass. On the
// CPU, where those are torch's gelu_backward and sum, it must give autograd's gradients of
// gelu(linear(...)); the emulated kernel test and cuda_tests check the kernel.
#include <doctest/doctest.h>
#include <torch/torch.h>

#include "model/linear_gelu.h"

using namespace mae;

namespace {
struct Grads {
  at::Tensor out, x, weight, bias;
};

Grads run(bool ours, at::ScalarType type) {
  torch::manual_seed(12);
  auto x = at::randn({3, 7, 24}).to(type).requires_grad_(true);
  auto weight = (0.3 * at::randn({32, 24})).to(type).requires_grad_(true);
  auto bias = at::randn({32}).to(type).requires_grad_(true);
  const auto grad = at::randn({3, 7, 32}).to(type);
  auto out = ours ? linear_gelu_with_fused_backward(x, weight, bias)
                  : at::gelu(at::linear(x, weight, bias));
  out.backward(grad);
  return {out.detach(), x.grad(), weight.grad(), bias.grad()};
}
}  // namespace

TEST_CASE("fc1 with GELU and its own backward gives autograd's output and gradients") {
  for (const auto type : {at::kFloat, at::kBFloat16}) {
    CAPTURE(type);
    const auto ours = run(true, type);
    const auto autograd = run(false, type);
    CHECK(at::equal(ours.out, autograd.out));
    CHECK(at::equal(ours.x, autograd.x));
    CHECK(at::equal(ours.weight, autograd.weight));
    CHECK(at::equal(ours.bias, autograd.bias));
  }
  auto x = at::randn({2, 8}, at::kBFloat16).requires_grad_(true);
  CHECK_FALSE(linear_gelu_fusion_applies(x, at::randn({8, 8}, at::kBFloat16),
                                         at::randn({8}, at::kBFloat16)));  // GPUs only
}
