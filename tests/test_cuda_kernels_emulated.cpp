// Why: our CUDA kernels run on the CPU here (tests/cuda_emulation), a thread per CUDA thread,
// so what they compute (their indexing, warp sums, grid-stride loops, block partials, bf16
// roundings, the widths and row counts at the edges of their tiling) is checked on every
// machine, not only when a GPU is lent. cuda_tests checks them again on a GPU, against torch.
// The references here are written out in double precision.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <cuda_bf16.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "model/cuda_bias_grad.h"
#include "model/cuda_qkv_grads.h"
#include "model/cuda_residual_norm.h"

using namespace mae;

namespace {

std::vector<float> normal(size_t n, uint32_t seed, float scale = 1.f, float shift = 0.f) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist;
  std::vector<float> v(n);
  for (auto& x : v) x = shift + scale * dist(gen);
  return v;
}

std::vector<__nv_bfloat16> to_bf16(const std::vector<float>& v) {
  std::vector<__nv_bfloat16> out(v.size());
  std::transform(v.begin(), v.end(), out.begin(), __float2bfloat16_rn);
  return out;
}

float as_float(__nv_bfloat16 v) { return __bfloat162float(v); }

// The largest difference over the largest reference value.
template <class Got>
double relative_gap(const std::vector<Got>& got, const std::vector<double>& want) {
  double gap = 0, scale = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    double value;
    if constexpr (std::is_same_v<Got, __nv_bfloat16>)
      value = as_float(got[i]);
    else
      value = got[i];
    gap = std::max(gap, std::abs(value - want[i]));
    scale = std::max(scale, std::abs(want[i]));
  }
  return gap / scale;
}

// How many of `got` are more than one bf16 step (2^-8 relative) from `want`.
size_t beyond_one_bf16_step(const std::vector<__nv_bfloat16>& got,
                            const std::vector<double>& want) {
  size_t count = 0;
  for (size_t i = 0; i < want.size(); ++i)
    if (std::abs(as_float(got[i]) - want[i]) > std::ldexp(std::abs(want[i]), -8) + 1e-30) ++count;
  return count;
}

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

TEST_CASE("emulated: the qkv gradient stack puts each head's gradient in its place of the row") {
  struct Shape {
    int64_t batch, tokens;
    int heads, head_dim;
    bool
        token_major;  // (B, N, heads, d) in memory, as cuDNN's gradients are; else (B, heads, N, d)
  };
  // ViT-B/16's encoder and decoder heads, ViT-H/14's width (the most words a row takes), one head.
  const Shape shapes[] = {{3, 50, 12, 64, true},
                          {2, 197, 16, 32, true},
                          {2, 7, 16, 32, false},
                          {1, 3, 16, 80, true},
                          {4, 5, 1, 8, false}};
  for (const auto& s : shapes) {
    CAPTURE(s.tokens);
    CAPTURE(s.heads);
    CAPTURE(s.head_dim);
    CAPTURE(s.token_major);
    const int64_t per_part = s.heads * static_cast<int64_t>(s.head_dim);
    const size_t n = static_cast<size_t>(s.batch * s.tokens * per_part);
    std::vector<std::vector<__nv_bfloat16>> grads;
    for (uint32_t part = 0; part < 3; ++part) grads.push_back(to_bf16(normal(n, 20 + part)));
    QkvGradStack args{{grads[0].data(), grads[1].data(), grads[2].data()},
                      nullptr,
                      s.batch,
                      s.tokens,
                      s.heads,
                      s.head_dim,
                      s.tokens * per_part,
                      s.token_major ? s.head_dim : s.tokens * s.head_dim,
                      s.token_major ? per_part : s.head_dim};
    std::vector<__nv_bfloat16> out(3 * n, __float2bfloat16_rn(NAN));
    args.out = out.data();
    REQUIRE(qkv_grad_stack_fits(args));
    REQUIRE(std::string(launch_qkv_grad_stack(args, nullptr)).empty());
    size_t misplaced = 0;
    for (int64_t b = 0; b < s.batch; ++b)
      for (int64_t t = 0; t < s.tokens; ++t)
        for (int part = 0; part < 3; ++part)
          for (int64_t h = 0; h < s.heads; ++h)
            for (int64_t k = 0; k < s.head_dim; ++k) {
              const int64_t from = b * args.stride_b + h * args.stride_h + t * args.stride_n + k;
              const int64_t to = (((b * s.tokens + t) * 3 + part) * s.heads + h) * s.head_dim + k;
              misplaced += out[static_cast<size_t>(to)].bits !=
                           grads[static_cast<size_t>(part)][static_cast<size_t>(from)].bits;
            }
    CHECK(misplaced == 0);
  }
}

TEST_CASE("emulated: the qkv gradient stack takes only whole 16-byte words, aligned") {
  alignas(16) __nv_bfloat16 data[64] = {};
  QkvGradStack args{{data, data, data}, data, 1, 2, 2, 16, 64, 16, 32};
  CHECK(qkv_grad_stack_fits(args));
  args.head_dim = 12;
  CHECK_FALSE(qkv_grad_stack_fits(args));
  args.head_dim = 16;
  args.stride_n = 36;
  CHECK_FALSE(qkv_grad_stack_fits(args));
  args.stride_n = 32;
  args.grads[1] = data + 4;
  CHECK_FALSE(qkv_grad_stack_fits(args));
  args.grads[1] = data;
  args.heads = 200;  // 3 * 200 * 2 words: past a block's 1,024 threads
  CHECK_FALSE(qkv_grad_stack_fits(args));
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
