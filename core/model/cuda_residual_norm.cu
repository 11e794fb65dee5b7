// Why: one warp per row: each lane keeps its share of the row in
// registers (lane, lane + 32, ...: every load and store of a warp is one contiguous run), and
// the row's sums go round the warp by shuffles. The arithmetic is torch's LayerNorm in float32
// (biased variance, rsqrt(var + eps)), the mean and variance taken in two passes over the
// registers; outputs are rounded to bf16 to nearest even, as autocast's casts do. gamma's and
// beta's gradients are summed per block in a fixed order and then per column, so a step
// gives the same bits every time.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <type_traits>

#include "model/cuda_launch.cuh"
#include "model/cuda_residual_norm.h"

namespace mae {

namespace {

constexpr int kWarp = 32;
constexpr int kWarpsPerBlock = 8;
constexpr int kThreads = kWarp * kWarpsPerBlock;

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int offset = kWarp / 2; offset > 0; offset /= 2)
    v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

template <int kPerLane, bool kBranch>
__global__ void __launch_bounds__(kThreads) forward_kernel(ResidualNormForward a) {
  const int lane = threadIdx.x % kWarp;
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / kWarp;
  if (row >= a.rows) return;  // the whole warp: a row is one warp's
  const int64_t base = row * a.cols;
  const auto* branch = static_cast<const __nv_bfloat16*>(a.branch);
  float v[kPerLane];
  float total = 0.f;
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) {
    const int j = lane + i * kWarp;
    v[i] = 0.f;
    if (j < a.cols) {
      v[i] = a.x[base + j];
      if constexpr (kBranch) v[i] += __bfloat162float(branch[base + j]);
    }
    total += v[i];
  }
  const float mean = warp_sum(total) / static_cast<float>(a.cols);
  float squares = 0.f;
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) {
    if (lane + i * kWarp < a.cols) {
      const float d = v[i] - mean;
      squares += d * d;
    }
  }
  const float rstd = rsqrtf(warp_sum(squares) / static_cast<float>(a.cols) + a.eps);
  auto* normed = static_cast<__nv_bfloat16*>(a.normed);
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) {
    const int j = lane + i * kWarp;
    if (j < a.cols) {
      if constexpr (kBranch) a.sum[base + j] = v[i];
      normed[base + j] = __float2bfloat16_rn(a.gamma[j] * ((v[i] - mean) * rstd) + a.beta[j]);
    }
  }
  if (lane == 0) {
    a.mean[row] = mean;
    a.rstd[row] = rstd;
  }
}

// Rows are shared out a warp at a time over a grid sized to be resident at once; each lane
// keeps gamma's and beta's sums for its columns over the rows it took.
template <int kPerLane, bool kGradSum, bool kGradBranch>
__global__ void __launch_bounds__(kThreads) backward_kernel(ResidualNormBackward a) {
  const int lane = threadIdx.x % kWarp;
  const int warp = threadIdx.x / kWarp;
  const auto* grad_normed = static_cast<const __nv_bfloat16*>(a.grad_normed);
  auto* grad_branch = static_cast<__nv_bfloat16*>(a.grad_branch);
  const float inv_cols = 1.f / static_cast<float>(a.cols);
  float gamma_sum[kPerLane], beta_sum[kPerLane];
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) gamma_sum[i] = beta_sum[i] = 0.f;

  for (int64_t row = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + warp; row < a.rows;
       row += static_cast<int64_t>(gridDim.x) * kWarpsPerBlock) {
    const int64_t base = row * a.cols;
    const float mean = a.mean[row], rstd = a.rstd[row];
    float g_total = 0.f, gx_total = 0.f;
#pragma unroll
    for (int i = 0; i < kPerLane; ++i) {
      const int j = lane + i * kWarp;
      if (j < a.cols) {
        const float dy = __bfloat162float(grad_normed[base + j]);
        const float xhat = (a.sum[base + j] - mean) * rstd;
        gamma_sum[i] += dy * xhat;
        beta_sum[i] += dy;
        const float g = dy * a.gamma[j];
        g_total += g;
        gx_total += g * xhat;
      }
    }
    const float g_mean = warp_sum(g_total) * inv_cols;
    const float gx_mean = warp_sum(gx_total) * inv_cols;
    // The row again (from cache): keeping it in registers too would halve the resident warps.
#pragma unroll
    for (int i = 0; i < kPerLane; ++i) {
      const int j = lane + i * kWarp;
      if (j < a.cols) {
        const float g = __bfloat162float(grad_normed[base + j]) * a.gamma[j];
        const float xhat = (a.sum[base + j] - mean) * rstd;
        float dx = rstd * (g - g_mean - xhat * gx_mean);
        if constexpr (kGradSum) dx += a.grad_sum[base + j];
        a.grad_x[base + j] = dx;
        if constexpr (kGradBranch) grad_branch[base + j] = __float2bfloat16_rn(dx);
      }
    }
  }

  // This block's partial sums, warp by warp in a fixed order.
  __shared__ float staged[kWarpsPerBlock][kWarp];
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) {
    const int j = lane + i * kWarp;
#pragma unroll
    for (int which = 0; which < 2; ++which) {
      staged[warp][lane] = which == 0 ? gamma_sum[i] : beta_sum[i];
      __syncthreads();
      if (warp == 0 && j < a.cols) {
        float total = 0.f;
        for (int w = 0; w < kWarpsPerBlock; ++w) total += staged[w][lane];
        a.partials[(static_cast<int64_t>(which) * gridDim.x + blockIdx.x) * a.cols + j] = total;
      }
      __syncthreads();
    }
  }
}

// blockIdx.y: 0 for gamma, 1 for beta; 32 columns a block, its 8 rows of threads taking every
// 8th block's partials.
__global__ void column_sums_kernel(const float* partials, int blocks, int cols, float* grad_gamma,
                                   float* grad_beta) {
  __shared__ float staged[kWarpsPerBlock][kWarp + 1];
  const int col = blockIdx.x * kWarp + threadIdx.x;
  const int which = blockIdx.y;
  float total = 0.f;
  if (col < cols) {
    for (int b = threadIdx.y; b < blocks; b += kWarpsPerBlock)
      total += partials[(static_cast<int64_t>(which) * blocks + b) * cols + col];
  }
  staged[threadIdx.y][threadIdx.x] = total;
  __syncthreads();
  if (threadIdx.y == 0 && col < cols) {
    float sum = 0.f;
    for (int r = 0; r < kWarpsPerBlock; ++r) sum += staged[r][threadIdx.x];
    (which == 0 ? grad_gamma : grad_beta)[col] = sum;
  }
}

// f(std::integral_constant<int, k>) with k values per lane, the fewest that hold `cols`.
template <class F>
const char* with_lanes(int cols, const F& f) {
  if (cols <= 32) return f(std::integral_constant<int, 1>{});
  if (cols <= 64) return f(std::integral_constant<int, 2>{});
  if (cols <= 128) return f(std::integral_constant<int, 4>{});
  if (cols <= 256) return f(std::integral_constant<int, 8>{});
  if (cols <= 384) return f(std::integral_constant<int, 12>{});
  if (cols <= 512) return f(std::integral_constant<int, 16>{});
  if (cols <= 768) return f(std::integral_constant<int, 24>{});
  if (cols <= 1024) return f(std::integral_constant<int, 32>{});
  if (cols <= kResidualNormMaxWidth) return f(std::integral_constant<int, 40>{});
  return "a LayerNorm row is wider than the fused kernels take";
}

// How many blocks of the backward fit on one multiprocessor at once (registers bound it).
template <int kPerLane>
int resident_blocks_per_multiprocessor() {
  static const int resident = [] {
    int n = 0;
    cudaOccupancyMaxActiveBlocksPerMultiprocessor(&n, backward_kernel<kPerLane, true, true>,
                                                  kThreads, 0);
    return n < 1 ? 1 : n;
  }();
  return resident;
}

}  // namespace

const char* launch_residual_norm_forward(const ResidualNormForward& a, void* stream) {
  if (a.rows == 0) return "";
  const auto blocks = static_cast<unsigned>((a.rows + kWarpsPerBlock - 1) / kWarpsPerBlock);
  return with_lanes(a.cols, [&](auto lanes) {
    constexpr int k = decltype(lanes)::value;
    return launch_kernel(a.branch ? forward_kernel<k, true> : forward_kernel<k, false>, blocks,
                         kThreads, stream, a);
  });
}

int residual_norm_backward_blocks(int64_t rows, int cols, int multiprocessors) {
  int resident = 1;
  with_lanes(cols, [&](auto lanes) {
    resident = resident_blocks_per_multiprocessor<decltype(lanes)::value>();
    return "";
  });
  const int64_t needed = (rows + kWarpsPerBlock - 1) / kWarpsPerBlock;
  const int64_t at_once =
      static_cast<int64_t>(resident) * (multiprocessors > 0 ? multiprocessors : 1);
  return static_cast<int>(needed < 1 ? 1 : needed < at_once ? needed : at_once);
}

const char* launch_residual_norm_backward(const ResidualNormBackward& a, int blocks, void* stream) {
  return with_lanes(a.cols, [&](auto lanes) {
    constexpr int k = decltype(lanes)::value;
    const bool sum = a.grad_sum != nullptr, branch = a.grad_branch != nullptr;
    const auto kernel =
        sum ? (branch ? backward_kernel<k, true, true> : backward_kernel<k, true, false>)
            : (branch ? backward_kernel<k, false, true> : backward_kernel<k, false, false>);
    return launch_kernel(kernel, static_cast<unsigned>(blocks), kThreads, stream, a);
  });
}

const char* launch_residual_norm_column_sums(const float* partials, int blocks, int cols,
                                             float* grad_gamma, float* grad_beta, void* stream) {
  const dim3 grid((cols + kWarp - 1) / kWarp, 2), block(kWarp, kWarpsPerBlock);
  return launch_kernel(column_sums_kernel, grid, block, stream, partials, blocks, cols, grad_gamma,
                       grad_beta);
}

}  // namespace mae
