// Why: the CPU attention replaces torch's in every CPU training step and reconstruction, so
// it must compute what the authors' Attention computes: softmax((q k^T) * head_dim^-0.5) v,
// and its gradients, for every shape the presets and tests use (head sizes that are not a
// multiple of the 16-lane strips, one token, the longest sequence it takes), with extreme
// scores and NaNs behaving as torch's do. The reference here is that formula in float64.
#include <doctest/doctest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include "model/cpu_attention.h"
#include "model/vit_block.h"

using namespace mae;

namespace {
// The authors' Attention after the qkv projection, from qkv (B, N, 3 * dim), in its dtype.
at::Tensor formula(const at::Tensor& qkv, int64_t heads) {
  const int64_t b = qkv.size(0), n = qkv.size(1), dim = qkv.size(2) / 3;
  auto parts = qkv.reshape({b, n, 3, heads, dim / heads}).permute({2, 0, 3, 1, 4});
  const double scale = std::pow(static_cast<double>(dim / heads), -0.5);
  auto attn = (at::matmul(parts[0], parts[1].transpose(-2, -1)) * scale).softmax(-1);
  return at::matmul(attn, parts[2]).transpose(1, 2).reshape({b, n, dim});
}

struct Shape {
  int64_t batch, tokens, heads, head_dim;
};

struct Errors {
  double out, grad;  // largest difference from float64, of the output and of qkv's gradient
};

// `attention` run in float32 (cpu_attention, or the formula itself in float) against the
// formula in float64; the gradient's error relative to its largest value.
template <class F>
Errors errors(const Shape& s, double magnitude, uint64_t seed, const F& attention) {
  torch::manual_seed(seed);
  auto qkv = (at::randn({s.batch, s.tokens, 3 * s.heads * s.head_dim}) * magnitude);
  auto grad_out = at::randn({s.batch, s.tokens, s.heads * s.head_dim});
  auto in = qkv.clone().requires_grad_(true);
  const at::Tensor out = attention(in, s.heads);
  out.backward(grad_out);
  auto ref_in = qkv.to(at::kDouble).requires_grad_(true);
  auto ref = formula(ref_in, s.heads);
  ref.backward(grad_out.to(at::kDouble));
  return {(out.to(at::kDouble) - ref).abs().max().item<double>(),
          (in.grad().to(at::kDouble) - ref_in.grad()).abs().max().item<double>() /
              std::max(1.0, ref_in.grad().abs().max().item<double>())};
}

Errors ours(const Shape& s, double magnitude, uint64_t seed) {
  return errors(s, magnitude, seed, cpu_attention);
}

Errors formula_in_float(const Shape& s, double magnitude, uint64_t seed) {
  return errors(s, magnitude, seed, formula);
}
}  // namespace

TEST_CASE("CPU attention equals the authors' formula and its gradient, in every shape") {
  // The suite runs this file's cases twice: with the kernels this CPU runs fastest, and with
  // MAE_CPU_KERNELS=avx2 (CTest's cpu_kernels.avx2), so that both sets are checked
  // on a CPU with AVX-512.
  const char* asked = std::getenv("MAE_CPU_KERNELS");
  const std::string set = cpu_attention_kernel_set();
  MESSAGE("kernels: " << set);
  if (asked && std::string(asked) == "avx2") CHECK(set == "avx2");
  if (!asked && __builtin_cpu_supports("avx512f")) CHECK(set == "avx512");
  const Shape shapes[] = {
      {4, 13, 4, 32},    // fmnist-tiny's encoder
      {2, 50, 4, 32},    // fmnist-tiny's decoder
      {2, 65, 4, 32},    // rgb-small's decoder
      {2, 50, 12, 64},   // ViT-B/16's encoder
      {1, 197, 16, 32},  // ViT-B/16's decoder
      {3, 7, 2, 8},      // the tests' tiny configs: heads narrower than a strip
      {2, 17, 3, 20},    // a strip and a bit, an odd count of tokens
      {2, 1, 2, 16},     // one token
      {1, 256, 2, 16},   // the longest sequence this path takes
  };
  for (const auto& s : shapes) {
    CAPTURE(s.tokens);
    CAPTURE(s.head_dim);
    const Errors e = ours(s, 1.0, 7);
    CHECK(e.out < 2e-6);
    CHECK(e.grad < 2e-6);
  }
}

TEST_CASE("CPU attention keeps peaked softmaxes exact and lets a NaN through") {
  // Scores in the hundreds: nearly one-hot rows, exponents far below float's range. float32's
  // own rounding of such scores is large, so the bar is the formula's error in float32.
  const Shape peaked{2, 50, 4, 32};
  const Errors e = ours(peaked, 6.0, 3), bar = formula_in_float(peaked, 6.0, 3);
  CHECK(e.out < 2 * bar.out);
  CHECK(e.grad < 2 * bar.grad);

  auto qkv = at::randn({2, 13, 3 * 64});
  qkv[1][5][3] = std::numeric_limits<float>::quiet_NaN();  // a query of image 1, head 0
  auto out = cpu_attention(qkv, 2);
  CHECK(out[0].isfinite().all().item<bool>());
  CHECK(out[1][5].isnan().any().item<bool>());  // a NaN loss is then caught and the step skipped
}

TEST_CASE("CPU attention without autograd gives the same output, and is chosen only where fit") {
  torch::manual_seed(11);
  auto qkv = at::randn({3, 50, 3 * 128});
  at::Tensor without;
  {
    torch::NoGradGuard no_grad;
    without = cpu_attention(qkv, 4);
  }
  CHECK(at::equal(without, cpu_attention(qkv.clone().requires_grad_(true), 4).detach()));

  CHECK(cpu_attention_applies(qkv));
  CHECK_FALSE(cpu_attention_applies(at::randn({1, 257, 96})));   // long: torch's
  CHECK_FALSE(cpu_attention_applies(qkv.to(at::kBFloat16)));     // bf16 inference: torch's
  CHECK_FALSE(cpu_attention_applies(qkv.transpose(0, 1)));       // not contiguous
  CHECK_FALSE(cpu_attention_applies(at::randn({50, 3 * 128})));  // not (B, N, 3C)
}

TEST_CASE("CPU attention under bf16 autocast: computed in float32, bf16 in and out") {
  // torch's bf16 flash backward spent 57 % of an rgb-small step on the CPU, so training under
  // CPU autocast takes this path: the kernels read bf16 qkv (and gradient) values, compute in
  // float32 and round the result and qkv's gradient once to bf16, to nearest even. The
  // reference is the float32 path on the same values, rounded by torch.
  torch::manual_seed(5);
  const auto qkv = at::randn({2, 17, 3 * 96}).to(at::kBFloat16);
  const auto grad_out = at::randn({2, 17, 96}).to(at::kBFloat16);
  auto in = qkv.clone().requires_grad_(true);
  CHECK(cpu_attention_applies(in));
  const auto out = cpu_attention(in, 3);
  out.backward(grad_out);
  CHECK((out.scalar_type() == at::kBFloat16));
  CHECK((in.grad().scalar_type() == at::kBFloat16));

  auto wide = qkv.to(at::kFloat).requires_grad_(true);
  const auto wide_out = cpu_attention(wide, 3);
  wide_out.backward(grad_out.to(at::kFloat));
  CHECK(at::equal(out, wide_out.to(at::kBFloat16)));
  CHECK(at::equal(in.grad(), wide.grad().to(at::kBFloat16)));
}

TEST_CASE("torch's attention path (float64 here, the GPU's in training) equals the formula") {
  // The path the CPU kernels do not take splits q, k, v off the qkv projection for
  // scaled_dot_product_attention; its backward must land the gradient back in qkv's layout.
  torch::manual_seed(3);
  Attention attention(48, 4);
  attention->to(at::kDouble);
  auto x = at::randn({2, 11, 48}, at::kDouble).requires_grad_(true);
  auto grad_out = at::randn({2, 11, 48}, at::kDouble);
  REQUIRE_FALSE(cpu_attention_applies(linear(attention->qkv, x)));
  auto out = attention->attend(x);
  out.backward(grad_out);
  const auto ours = x.grad().clone();
  const auto ours_weight = attention->qkv->weight.grad().clone();
  x.mutable_grad().reset();
  attention->qkv->weight.mutable_grad().reset();
  auto ref = formula(linear(attention->qkv, x), 4);
  ref.backward(grad_out);
  CHECK((out - ref).abs().max().item<double>() < 1e-12);
  CHECK((ours - x.grad()).abs().max().item<double>() < 1e-12);
  CHECK((ours_weight - attention->qkv->weight.grad()).abs().max().item<double>() < 1e-12);
}
