// Why: the one-pass GELU replaces torch's in every CPU training step, so its output must be
// torch's exact (erf) GELU and its backward torch's gelu_backward, over the whole range of
// inputs (the erf's polynomial, the e^x clamp far out, lengths that end mid-vector), and a
// NaN must stay a NaN, or the step's non-finite check would miss it. The reference is the
// formula in float64.
#include <doctest/doctest.h>
#include <torch/torch.h>

#include <limits>

#include "model/cpu_gelu.h"

using namespace mae;

namespace {
at::Tensor gelu_f64(const at::Tensor& x) {
  const auto d = x.to(at::kDouble);
  return d * 0.5 * (1 + at::erf(d * M_SQRT1_2));
}

at::Tensor slope_f64(const at::Tensor& x) {
  const auto d = x.to(at::kDouble);
  return 0.5 * (1 + at::erf(d * M_SQRT1_2)) + d * at::exp(-0.5 * d * d) / std::sqrt(2 * M_PI);
}

// Largest |a - b| / max(1, |x|) over the entries.
double scaled_error(const at::Tensor& a, const at::Tensor& b, const at::Tensor& x) {
  return ((a.to(at::kDouble) - b.to(at::kDouble)).abs() / x.to(at::kDouble).abs().clamp_min(1))
      .max()
      .item<double>();
}
}  // namespace

TEST_CASE("one-pass GELU: torch's output and gradient, NaNs kept, any length") {
  // 100003 values: the range where erf's polynomial works, the far tails, a ragged end.
  const auto x = at::cat({at::linspace(-12, 12, 100001), at::tensor({-30.f, 30.f})});
  torch::manual_seed(0);
  const auto grad_out = at::randn_like(x);
  auto in = x.clone().requires_grad_(true);
  const auto out = exact_gelu(in);
  out.backward(grad_out);

  const auto torch_out = at::gelu(x);
  const auto torch_grad = at::gelu_backward(grad_out, x);
  CHECK(scaled_error(out, torch_out, x) < 1e-6);
  CHECK(scaled_error(in.grad(), torch_grad, x * grad_out) < 1e-6);
  // Near the exact function, as torch's own float GELU is: the erf form is within 1.5e-7, and
  // torch's gradient reaches 5e-7 of the float64 one here.
  MESSAGE("from float64: ours " << scaled_error(out, gelu_f64(x), x) << ", torch's "
                                << scaled_error(torch_out, gelu_f64(x), x));
  CHECK(scaled_error(out, gelu_f64(x), x) < 4e-7);
  const auto exact_grad = slope_f64(x) * grad_out.to(at::kDouble);
  MESSAGE("gradient from float64: ours " << scaled_error(in.grad(), exact_grad, x * grad_out)
                                         << ", torch's "
                                         << scaled_error(torch_grad, exact_grad, x * grad_out));
  CHECK(scaled_error(in.grad(), exact_grad, x * grad_out) < 1e-6);

  for (const int64_t n : {1, 7, 8, 9, 17}) {
    CAPTURE(n);
    auto part = x.narrow(0, 49990, n).clone().requires_grad_(true);
    CHECK(at::allclose(exact_gelu(part), at::gelu(part.detach()), 0, 1e-6));
  }

  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto with_nan = at::tensor({1.f, nan, -2.f}).requires_grad_(true);
  const auto nan_out = exact_gelu(with_nan);
  nan_out.sum().backward();
  CHECK(std::isnan(nan_out[1].item<float>()));
  CHECK(std::isnan(with_nan.grad()[1].item<float>()));
  CHECK(std::isfinite(with_nan.grad()[0].item<float>()));
}

TEST_CASE("one-pass GELU: inference and other layouts take torch's GELU") {
  const auto x = at::randn({64, 96});
  {
    at::NoGradGuard no_grad;
    CHECK(at::equal(exact_gelu(x), at::gelu(x)));
  }
  CHECK(at::equal(exact_gelu(x), at::gelu(x)));  // no grad wanted
  auto strided = x.t().requires_grad_(true);     // not contiguous
  CHECK(at::equal(exact_gelu(strided), at::gelu(x.t())));
  auto in = x.clone().requires_grad_(true);
  auto doubled = in.to(at::kDouble);
  CHECK(at::equal(exact_gelu(doubled), at::gelu(doubled)));
}
