// Why: the bias-gradient kernels, plain and with GELU's backward, run on the CPU
// (tests/cuda_emulation) against double-precision sums and the exact GELU derivative, on every
// machine rather than only when a GPU is lent. cuda_tests checks them again against torch.
#include <cuda_bf16.h>
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "emulated_values.h"
#include "model/cuda_bias_grad.h"

using namespace mae;
using namespace emulated;

TEST_CASE("emulated: the bias gradient kernels sum every column over every row") {
  // ViT-B/16's decoder fc1 width, its encoder qkv width, a width that leaves a block's last
  // columns idle, one 8-column group; row counts off the 8-row grid and under one chunk.
  const std::pair<int64_t, int> shapes[] = {{300, 2048}, {203, 2304}, {57, 264},
                                            {17, 8},     {3, 520},    {1, 24}};
  for (const auto& [rows, cols] : shapes) {
    CAPTURE(rows);
    CAPTURE(cols);
    const size_t n = static_cast<size_t>(rows * cols);
    const auto grad = to_bf16(normal(n, 11, 1.f, 0.25f));
    REQUIRE(bias_grad_kernel_fits(grad.data(), cols));
    const int chunks = bias_grad_chunks(rows, cols, 4);
    std::vector<float> partials(static_cast<size_t>(chunks) * static_cast<size_t>(cols), NAN);
    std::vector<__nv_bfloat16> out(static_cast<size_t>(cols));
    REQUIRE(std::string(launch_bias_grad(grad.data(), rows, cols, chunks, partials.data(),
                                         out.data(), nullptr))
                .empty());
    std::vector<double> want(static_cast<size_t>(cols));
    for (size_t k = 0; k < n; ++k) want[k % static_cast<size_t>(cols)] += as_float(grad[k]);
    MESSAGE(rows << " x " << cols << " in " << chunks << " chunks: gap "
                 << relative_gap(out, want));
    CHECK(beyond_one_bf16_step(out, want) == 0);  // one rounding of a float32 sum
  }
}

TEST_CASE(
    "emulated: the bias gradient kernels take only widths of whole 8-column groups, aligned") {
  alignas(16) __nv_bfloat16 data[32] = {};
  CHECK(bias_grad_kernel_fits(data, 16));
  CHECK_FALSE(bias_grad_kernel_fits(data, 12));
  CHECK_FALSE(bias_grad_kernel_fits(data + 1, 16));
  CHECK_FALSE(bias_grad_kernel_fits(data, 0));
}

TEST_CASE(
    "emulated: GELU's backward with the bias gradient: each value times GELU's slope, "
    "rounded, and its columns summed") {
  const std::pair<int64_t, int> shapes[] = {{300, 2048}, {57, 264}, {17, 8}, {1, 24}};
  for (const auto& [rows, cols] : shapes) {
    CAPTURE(rows);
    CAPTURE(cols);
    const size_t n = static_cast<size_t>(rows * cols);
    const auto grad_h = to_bf16(normal(n, 13));
    const auto pre = to_bf16(normal(n, 14, 2.f));
    std::vector<__nv_bfloat16> grad_pre(n, __float2bfloat16_rn(NAN)),
        out(static_cast<size_t>(cols));
    const int chunks = bias_grad_chunks(rows, cols, 4);
    std::vector<float> partials(static_cast<size_t>(chunks) * static_cast<size_t>(cols));
    REQUIRE(std::string(launch_gelu_backward_and_bias_grad(grad_h.data(), pre.data(),
                                                           grad_pre.data(), rows, cols, chunks,
                                                           partials.data(), out.data(), nullptr))
                .empty());
    // One bf16 rounding of the float32 product; its slope takes 1 + erf(x / sqrt 2) in float32,
    // as torch's does, so far below zero it is known only to float32's step at 1.
    std::vector<double> want_bias(static_cast<size_t>(cols));
    size_t off = 0;
    for (size_t k = 0; k < n; ++k) {
      const double x = as_float(pre[k]), dy = as_float(grad_h[k]);
      const double cdf = 0.5 * (1 + std::erf(x / std::sqrt(2.0)));
      const double x_pdf = x * std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI);
      const double want = dy * (cdf + x_pdf);
      const double allowed = std::ldexp(std::abs(want), -8) + std::ldexp(std::abs(dy), -22);
      off += std::abs(as_float(grad_pre[k]) - want) > allowed;
      want_bias[k % static_cast<size_t>(cols)] += as_float(grad_pre[k]);  // what it wrote, summed
    }
    CHECK(off == 0);
    CHECK(beyond_one_bf16_step(out, want_bias) == 0);
  }
}
