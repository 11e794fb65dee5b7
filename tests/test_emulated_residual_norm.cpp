// Why: the fused LayerNorm kernels, run on the CPU (tests/cuda_emulation), against a double
// precision LayerNorm: their warp sums, the backward's grid-stride loop and block partials,
// the bf16 roundings, and every register tiling's edge, checked on every machine rather than
// only when a GPU is lent. cuda_tests checks them again on a GPU, against torch.
#include <cuda_bf16.h>
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "emulated_values.h"
#include "model/cuda_residual_norm.h"

using namespace mae;
using namespace emulated;

namespace {

struct NormCase {
  int64_t rows;
  int cols;
  bool branch;
};

// ViT-B/16's widths, ViT-H/14's, widths off the 32-lane grid, a width under one warp, row
// counts off the 8-row blocks, one row, rows enough for the backward's grid-stride loop; then
// each width that just overflows one of the kernels' register tilings into the next.
std::vector<NormCase> norm_cases() {
  std::vector<NormCase> cases = {{37, 768, true},  {300, 512, false}, {37, 100, false},
                                 {13, 1280, true}, {9, 24, true},     {1, 1024, false},
                                 {20, 384, true},  {11, 33, false}};
  for (const int full : {32, 64, 128, 256, 384, 512, 768, 1024})
    cases.push_back({3, full + 1, full % 64 == 0});
  return cases;
}

struct NormReference {
  std::vector<double> sum, normed, mean, rstd;
};

NormReference norm_reference(const std::vector<float>& x, const std::vector<__nv_bfloat16>* branch,
                             const std::vector<float>& gamma, const std::vector<float>& beta,
                             int64_t rows, int cols, double eps) {
  NormReference r;
  r.sum.resize(x.size());
  r.normed.resize(x.size());
  for (int64_t i = 0; i < rows; ++i) {
    double mean = 0, var = 0;
    for (int j = 0; j < cols; ++j) {
      const size_t k = static_cast<size_t>(i * cols + j);
      // float32 addition, as the kernel and autocast's add do
      r.sum[k] = branch ? static_cast<double>(x[k] + as_float((*branch)[k])) : x[k];
      mean += r.sum[k];
    }
    mean /= cols;
    for (int j = 0; j < cols; ++j)
      var += std::pow(r.sum[static_cast<size_t>(i * cols + j)] - mean, 2);
    const double rstd = 1 / std::sqrt(var / cols + eps);
    for (int j = 0; j < cols; ++j) {
      const size_t k = static_cast<size_t>(i * cols + j);
      r.normed[k] = gamma[j] * (r.sum[k] - mean) * rstd + beta[j];
    }
    r.mean.push_back(mean);
    r.rstd.push_back(rstd);
  }
  return r;
}

}  // namespace

TEST_CASE("emulated: the fused LayerNorm forward sums and norms every row as torch would") {
  for (const auto& c : norm_cases()) {
    CAPTURE(c.rows);
    CAPTURE(c.cols);
    CAPTURE(c.branch);
    const size_t n = static_cast<size_t>(c.rows * c.cols);
    const auto x = normal(n, 1, 3.f, 1.f);
    const auto branch = to_bf16(normal(n, 2));
    const auto gamma = normal(static_cast<size_t>(c.cols), 3, 0.1f, 1.f);
    const auto beta = normal(static_cast<size_t>(c.cols), 4, 0.1f);
    std::vector<float> sum(n, NAN), mean(static_cast<size_t>(c.rows)), rstd(mean.size());
    std::vector<__nv_bfloat16> normed(n);
    const ResidualNormForward args{x.data(),     c.branch ? branch.data() : nullptr,
                                   gamma.data(), beta.data(),
                                   sum.data(),   normed.data(),
                                   mean.data(),  rstd.data(),
                                   c.rows,       c.cols,
                                   1e-6f};
    REQUIRE(std::string(launch_residual_norm_forward(args, nullptr)).empty());
    const auto want =
        norm_reference(x, c.branch ? &branch : nullptr, gamma, beta, c.rows, c.cols, 1e-6);
    if (c.branch) CHECK(relative_gap(sum, want.sum) == 0.0);  // the same float32 additions
    CHECK(beyond_one_bf16_step(normed, want.normed) == 0);
    CHECK(relative_gap(mean, want.mean) < 1e-6);
    CHECK(relative_gap(rstd, want.rstd) < 1e-5);
  }
}

TEST_CASE(
    "emulated: the fused LayerNorm backward gives x's, the branch's, gamma's and beta's "
    "gradients, with and without the residual path's") {
  for (const auto& c : norm_cases()) {
    for (const bool with_grad_sum : {false, true}) {
      CAPTURE(c.rows);
      CAPTURE(c.cols);
      CAPTURE(with_grad_sum);
      const size_t n = static_cast<size_t>(c.rows * c.cols), cols = static_cast<size_t>(c.cols);
      const auto sum = normal(n, 5, 2.f, -1.f);
      const auto gamma = normal(cols, 6, 0.1f, 1.f);
      const auto zero = std::vector<float>(cols, 0.f);
      const auto dy = to_bf16(normal(n, 7));
      const auto d_sum = normal(n, 8);
      const auto want = norm_reference(sum, nullptr, gamma, zero, c.rows, c.cols, 1e-6);
      std::vector<float> mean(want.mean.begin(), want.mean.end());
      std::vector<float> rstd(want.rstd.begin(), want.rstd.end());

      // One multiprocessor: 8 blocks at most, so past 64 rows each warp takes several.
      const int blocks = residual_norm_backward_blocks(c.rows, c.cols, 1);
      std::vector<float> grad_x(n), partials(2 * static_cast<size_t>(blocks) * cols, NAN);
      std::vector<__nv_bfloat16> grad_branch(n);
      const ResidualNormBackward args{dy.data(),       with_grad_sum ? d_sum.data() : nullptr,
                                      sum.data(),      mean.data(),
                                      rstd.data(),     gamma.data(),
                                      grad_x.data(),   c.branch ? grad_branch.data() : nullptr,
                                      partials.data(), c.rows,
                                      c.cols};
      REQUIRE(std::string(launch_residual_norm_backward(args, blocks, nullptr)).empty());
      std::vector<float> grad_gamma(cols), grad_beta(cols);
      REQUIRE(std::string(launch_residual_norm_column_sums(partials.data(), blocks, c.cols,
                                                           grad_gamma.data(), grad_beta.data(),
                                                           nullptr))
                  .empty());

      // LayerNorm's backward with the float32 mean and rstd the kernel was given.
      std::vector<double> want_x(n), want_gamma(cols), want_beta(cols);
      for (int64_t i = 0; i < c.rows; ++i) {
        double g_mean = 0, gx_mean = 0;
        const auto at = [&](size_t j) { return static_cast<size_t>(i) * cols + j; };
        const auto xhat = [&](size_t j) {
          return (sum[at(j)] - static_cast<double>(mean[static_cast<size_t>(i)])) *
                 rstd[static_cast<size_t>(i)];
        };
        for (size_t j = 0; j < cols; ++j) {
          const double g = as_float(dy[at(j)]) * static_cast<double>(gamma[j]);
          g_mean += g / c.cols;
          gx_mean += g * xhat(j) / c.cols;
          want_gamma[j] += as_float(dy[at(j)]) * xhat(j);
          want_beta[j] += as_float(dy[at(j)]);
        }
        for (size_t j = 0; j < cols; ++j) {
          const double g = as_float(dy[at(j)]) * static_cast<double>(gamma[j]);
          want_x[at(j)] = rstd[static_cast<size_t>(i)] * (g - g_mean - xhat(j) * gx_mean) +
                          (with_grad_sum ? d_sum[at(j)] : 0.0);
        }
      }
      const double gap_x = relative_gap(grad_x, want_x);
      const double gap_gamma = relative_gap(grad_gamma, want_gamma);
      const double gap_beta = relative_gap(grad_beta, want_beta);
      MESSAGE(c.rows << " x " << c.cols << " over " << blocks << " blocks: x's gradient " << gap_x
                     << ", gamma's " << gap_gamma << ", beta's " << gap_beta);
      CHECK(gap_x < 1e-5);
      CHECK(gap_gamma < 1e-5);
      CHECK(gap_beta < 1e-5);
      if (c.branch) {
        // The branch's gradient is x's rounded to bf16.
        size_t off = 0;
        for (size_t k = 0; k < n; ++k)
          off += grad_branch[k].bits != __float2bfloat16_rn(grad_x[k]).bits;
        CHECK(off == 0);
      }
    }
  }
}

TEST_CASE("emulated: the fused LayerNorm kernels refuse a row wider than they take") {
  std::vector<float> x(kResidualNormMaxWidth + 1), stats(1);
  std::vector<__nv_bfloat16> normed(x.size());
  const ResidualNormForward args{
      x.data(),      nullptr,      x.data(),     x.data(), nullptr,
      normed.data(), stats.data(), stats.data(), 1,        static_cast<int>(x.size()),
      1e-6f};
  CHECK(std::string(launch_residual_norm_forward(args, nullptr)).find("wider") !=
        std::string::npos);
}
