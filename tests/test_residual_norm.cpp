// Why: on a GPU under autocast every block's norms and residual sums go through one autograd
// function with two outputs, whose backward must hand each input the gradient that torch's
// add, LayerNorm and bf16 cast would have: the residual path's gradient included, with or
// without a branch, with either output unused. On the CPU that function runs torch's ops in
// autocast's order, so here it must match them bit for bit; cuda_tests compares the GPU kernels
// with it.
#include <doctest/doctest.h>
#include <torch/torch.h>

#include "model/residual_norm.h"

using namespace mae;

namespace {

struct Inputs {
  at::Tensor x, branch, gamma, beta;
};

Inputs inputs(bool with_branch, uint64_t seed) {
  torch::manual_seed(seed);
  Inputs in;
  in.x = at::randn({3, 5, 40}).requires_grad_(true);
  if (with_branch) in.branch = at::randn({3, 5, 40}).to(at::kBFloat16).requires_grad_(true);
  in.gamma = (1 + 0.1 * at::randn({40})).requires_grad_(true);
  in.beta = (0.1 * at::randn({40})).requires_grad_(true);
  return in;
}

// The outputs and every input's gradient, from gradients `grad_sum` (may be undefined: the sum
// unused) and `grad_normed` (likewise) of the two outputs.
struct Result {
  at::Tensor sum, normed, x, branch, gamma, beta;
};

Result run(const Inputs& in, const at::Tensor& grad_sum, const at::Tensor& grad_normed,
           bool fused) {
  NormedSum out;
  if (fused) {
    out = fused_sum_and_norm(in.x, in.branch, in.gamma, in.beta, 1e-6, at::kBFloat16);
  } else {  // what autocast runs: the sum in float32, LayerNorm in float32, then one rounding
    out.sum = in.branch.defined() ? in.x + in.branch : in.x;
    out.normed = at::layer_norm(out.sum, {40}, in.gamma, in.beta, 1e-6).to(at::kBFloat16);
  }
  std::vector<at::Tensor> outputs, grads;
  if (grad_sum.defined()) {
    outputs.push_back(out.sum);
    grads.push_back(grad_sum);
  }
  if (grad_normed.defined()) {
    outputs.push_back(out.normed);
    grads.push_back(grad_normed);
  }
  std::vector<at::Tensor> wrt = {in.x, in.gamma, in.beta};
  if (in.branch.defined()) wrt.push_back(in.branch);
  auto g = torch::autograd::grad(outputs, wrt, grads, /*retain_graph=*/false,
                                 /*create_graph=*/false, /*allow_unused=*/true);
  return {out.sum.detach(),
          out.normed.detach(),
          g[0],
          in.branch.defined() ? g[3] : at::Tensor(),
          g[1],
          g[2]};
}

void check_same(const at::Tensor& a, const at::Tensor& b) {
  REQUIRE(a.defined() == b.defined());
  if (!a.defined()) return;
  CHECK((a.scalar_type() == b.scalar_type()));
  CHECK(at::equal(a, b));
}

}  // namespace

TEST_CASE("the fused sum-and-norm gives torch's outputs and gradients, residual path included") {
  for (const bool with_branch : {true, false}) {
    for (const int used : {3, 1, 2}) {  // both outputs, only the sum, only the norm
      CAPTURE(with_branch);
      CAPTURE(used);
      const auto in = inputs(with_branch, 11);
      const auto grad_sum = (used & 1) ? at::randn({3, 5, 40}) : at::Tensor();
      const auto grad_normed = (used & 2) ? at::randn({3, 5, 40}).to(at::kBFloat16) : at::Tensor();
      const auto fused = run(in, grad_sum, grad_normed, true);
      const auto plain = run(in, grad_sum, grad_normed, false);
      check_same(fused.sum, plain.sum);
      check_same(fused.normed, plain.normed);
      check_same(fused.x, plain.x);
      check_same(fused.branch, plain.branch);
      check_same(fused.gamma, plain.gamma);
      check_same(fused.beta, plain.beta);
    }
  }
}

TEST_CASE("a block's norms and sums: the fused path stays off on the CPU and gives the same") {
  // sum_and_norm decides per call; on the CPU (and without autocast anywhere) it is torch's.
  torch::nn::LayerNorm norm(torch::nn::LayerNormOptions({40}).eps(1e-6));
  const auto in = inputs(true, 12);
  CHECK_FALSE(fused_norm_applies(in.x, in.branch));
  at::NoGradGuard no_grad;
  const auto out = sum_and_norm(in.x, in.branch.to(at::kFloat), norm);
  CHECK(at::equal(out.sum, in.x + in.branch.to(at::kFloat)));
  CHECK(at::equal(out.normed, norm(in.x + in.branch.to(at::kFloat))));
  const auto alone = sum_and_norm(in.x, at::Tensor(), norm);
  CHECK(alone.sum.is_same(in.x));
  CHECK(at::equal(alone.normed, norm(in.x)));
}
