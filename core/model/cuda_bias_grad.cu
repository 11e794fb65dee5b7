// Why: a block covers 256 columns (32 threads of 8) and 8 rows at a
// time down its chunk; its 8 rows of sums meet in shared memory, in order. The GELU variant
// reads the pre-activation beside the gradient and writes the product it sums.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include "model/cuda_bias_grad.h"
#include "model/cuda_launch.cuh"

namespace mae {

namespace {

constexpr int kColsPerThread = 8;  // one 16-byte load of bf16
constexpr int kColumnThreads = 32;
constexpr int kRowThreads = 8;
constexpr int kColsPerBlock = kColumnThreads * kColsPerThread;

// The GELU slope of fc1's output `pre`: the exact (erf) form's derivative, in float32 as
// torch's GeluBackward computes it.
__device__ __forceinline__ float gelu_slope(float x) {
  constexpr float kAlpha = 0.70710678118654752440f;  // 1 / sqrt(2)
  constexpr float kBeta = 0.39894228040143267794f;   // 1 / sqrt(2 pi)
  const float cdf = 0.5f * (1.f + erff(x * kAlpha));
  return cdf + x * (expf(-0.5f * x * x) * kBeta);
}

// With kGelu, `grad` is the GELU output's gradient: each value is first multiplied by the slope
// at `pre`, rounded to bf16, written to `grad_pre`, and that rounded value summed (the bias
// gradient of the GELU's input, as torch would sum grad_pre).
template <bool kGelu>
__global__ void __launch_bounds__(kColumnThreads* kRowThreads)
    chunk_sums_kernel(const __nv_bfloat16* grad, const __nv_bfloat16* pre, __nv_bfloat16* grad_pre,
                      int64_t rows, int cols, int64_t rows_per_chunk, float* partials) {
  const int first_col = (blockIdx.x * kColumnThreads + threadIdx.x) * kColsPerThread;
  const int64_t start = static_cast<int64_t>(blockIdx.y) * rows_per_chunk;
  const int64_t end = start + rows_per_chunk < rows ? start + rows_per_chunk : rows;
  float sums[kColsPerThread];
#pragma unroll
  for (int k = 0; k < kColsPerThread; ++k) sums[k] = 0.f;
  if (first_col < cols) {
    for (int64_t r = start + threadIdx.y; r < end; r += kRowThreads) {
      const int64_t at = r * cols + first_col;
      uint4 raw = *reinterpret_cast<const uint4*>(grad + at);
      auto* pairs = reinterpret_cast<__nv_bfloat162*>(&raw);
      if constexpr (kGelu) {
        const uint4 raw_pre = *reinterpret_cast<const uint4*>(pre + at);
        const auto* pre_pairs = reinterpret_cast<const __nv_bfloat162*>(&raw_pre);
#pragma unroll
        for (int k = 0; k < kColsPerThread / 2; ++k) {
          const float2 g = __bfloat1622float2(pairs[k]), x = __bfloat1622float2(pre_pairs[k]);
          pairs[k].x = __float2bfloat16_rn(g.x * gelu_slope(x.x));
          pairs[k].y = __float2bfloat16_rn(g.y * gelu_slope(x.y));
        }
        *reinterpret_cast<uint4*>(grad_pre + at) = raw;
      }
#pragma unroll
      for (int k = 0; k < kColsPerThread / 2; ++k) {
        const float2 f = __bfloat1622float2(pairs[k]);
        sums[2 * k] += f.x;
        sums[2 * k + 1] += f.y;
      }
    }
  }
  __shared__ float staged[kRowThreads][kColsPerBlock];
#pragma unroll
  for (int k = 0; k < kColsPerThread; ++k)
    staged[threadIdx.y][threadIdx.x * kColsPerThread + k] = sums[k];
  __syncthreads();
  const int t = threadIdx.y * kColumnThreads + threadIdx.x;  // one column of the block each
  const int col = blockIdx.x * kColsPerBlock + t;
  if (col < cols) {
    float total = 0.f;
    for (int r = 0; r < kRowThreads; ++r) total += staged[r][t];
    partials[static_cast<int64_t>(blockIdx.y) * cols + col] = total;
  }
}

__global__ void finish_kernel(const float* partials, int chunks, int cols, __nv_bfloat16* out) {
  const int col = blockIdx.x * blockDim.x + threadIdx.x;
  if (col >= cols) return;
  float total = 0.f;
  for (int c = 0; c < chunks; ++c) total += partials[static_cast<int64_t>(c) * cols + col];
  out[col] = __float2bfloat16_rn(total);
}

}  // namespace

bool bias_grad_kernel_fits(const void* data, int cols) {
  return cols > 0 && cols % kColsPerThread == 0 && reinterpret_cast<uintptr_t>(data) % 16 == 0;
}

int bias_grad_chunks(int64_t rows, int cols, int multiprocessors) {
  const int column_blocks = (cols + kColsPerBlock - 1) / kColsPerBlock;
  const int64_t wanted = 4 * static_cast<int64_t>(multiprocessors > 0 ? multiprocessors : 1);
  int64_t chunks = (wanted + column_blocks - 1) / column_blocks;
  const int64_t most = (rows + kRowThreads - 1) / kRowThreads;  // 8 rows a chunk at least
  if (chunks > most) chunks = most;
  return static_cast<int>(chunks < 1 ? 1 : chunks);
}

namespace {
const char* launch_sums(const void* grad, const void* pre, void* grad_pre, int64_t rows, int cols,
                        int chunks, float* partials, void* out, void* stream) {
  const int64_t rows_per_chunk = (rows + chunks - 1) / chunks;
  const dim3 grid((cols + kColsPerBlock - 1) / kColsPerBlock, chunks);
  const dim3 block(kColumnThreads, kRowThreads);
  const auto* g = static_cast<const __nv_bfloat16*>(grad);
  const auto* p = static_cast<const __nv_bfloat16*>(pre);
  auto* gp = static_cast<__nv_bfloat16*>(grad_pre);
  if (const char* e = pre ? launch_kernel(chunk_sums_kernel<true>, grid, block, stream, g, p, gp,
                                          rows, cols, rows_per_chunk, partials)
                          : launch_kernel(chunk_sums_kernel<false>, grid, block, stream, g, p, gp,
                                          rows, cols, rows_per_chunk, partials);
      *e)
    return e;
  return launch_kernel(finish_kernel, (cols + 255) / 256, 256, stream, partials, chunks, cols,
                       static_cast<__nv_bfloat16*>(out));
}
}  // namespace

const char* launch_bias_grad(const void* grad, int64_t rows, int cols, int chunks, float* partials,
                             void* out, void* stream) {
  return launch_sums(grad, nullptr, nullptr, rows, cols, chunks, partials, out, stream);
}

const char* launch_gelu_backward_and_bias_grad(const void* grad_h, const void* pre, void* grad_pre,
                                               int64_t rows, int cols, int chunks, float* partials,
                                               void* out, void* stream) {
  return launch_sums(grad_h, pre, grad_pre, rows, cols, chunks, partials, out, stream);
}

}  // namespace mae
