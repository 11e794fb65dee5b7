// Why: on a GPU attention's q, k and v gradients are stacked back into the qkv product's rows
// by qkv_split's own backward instead of unbind's. A stack is a copy, so on the CPU (where it
// is torch's stack) that backward must give unbind's gradients bit for bit, whichever views
// attention used; cuda_tests checks the GPU kernel against it.
#include <doctest/doctest.h>
#include <torch/torch.h>

#include "model/qkv_split.h"

using namespace mae;

namespace {
// The gradient reaching `projected` from weights `wq`, `wk`, `wv` on each view (an undefined
// weight leaves that view unused).
at::Tensor projected_grad(bool own_backward, const at::Tensor& wq, const at::Tensor& wk,
                          const at::Tensor& wv) {
  torch::manual_seed(3);
  auto projected = at::randn({2, 5, 3 * 4 * 8}).requires_grad_(true);
  const auto views =
      own_backward ? split_qkv_with_own_backward(projected, 4) : split_qkv(projected, 4);
  CHECK(views.q.sizes().vec() == std::vector<int64_t>{2, 4, 5, 8});
  at::Tensor loss = at::zeros({});
  if (wq.defined()) loss = loss + (views.q * wq).sum();
  if (wk.defined()) loss = loss + (views.k * wk).sum();
  if (wv.defined()) loss = loss + (views.v.sin() * wv).sum();
  loss.backward();
  return projected.grad();
}
}  // namespace

TEST_CASE("qkv split: its own backward stacks q's, k's and v's gradients as unbind's does") {
  CHECK_FALSE(qkv_stack_kernel_applies(at::randn({2, 5, 96}).requires_grad_(true)));  // CPU
  const auto wq = at::randn({2, 4, 5, 8}), wk = at::randn({2, 4, 5, 8}),
             wv = at::randn({2, 4, 5, 8});
  SUBCASE("all three used") {
    CHECK(at::equal(projected_grad(true, wq, wk, wv), projected_grad(false, wq, wk, wv)));
  }
  SUBCASE("k unused: its part of the gradient is zeros") {
    const auto ours = projected_grad(true, wq, at::Tensor(), wv);
    CHECK(at::equal(ours, projected_grad(false, wq, at::Tensor(), wv)));
    CHECK(ours.reshape({2, 5, 3, 32}).select(2, 1).abs().sum().item<double>() == 0.0);
  }
  SUBCASE("the views are unbind's, values and layout") {
    auto projected = at::randn({2, 5, 96});
    const auto ours = split_qkv_with_own_backward(projected, 4);
    const auto theirs = split_qkv(projected, 4);
    for (const auto& [a, b] :
         {std::pair{ours.q, theirs.q}, {ours.k, theirs.k}, {ours.v, theirs.v}}) {
      CHECK(at::equal(a, b));
      CHECK(a.strides().vec() == b.strides().vec());
      CHECK(a.data_ptr() == b.data_ptr());
    }
  }
}
