// Why: a block per token row; its threads take the row's 16-byte words
// in output order, so writes are whole lines, and each reads the word of its head from q's,
// k's or v's gradient.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include "model/cuda_launch.cuh"
#include "model/cuda_qkv_grads.h"

namespace mae {

namespace {

constexpr int kValuesPerWord = 8;  // bf16 values in 16 bytes
constexpr int kMaxThreads = 1024;
constexpr int64_t kMaxBlocks = 0x7fffffff;  // a grid's x dimension

__global__ void stack_kernel(QkvGradStack a) {
  const int words_per_head = a.head_dim / kValuesPerWord;
  const int words_per_part = a.heads * words_per_head;
  const int t = threadIdx.x;
  if (t >= 3 * words_per_part) return;
  const unsigned row = blockIdx.x, tokens = static_cast<unsigned>(a.tokens);  // 32-bit division
  const int64_t b = row / tokens, n = row % tokens;
  const int part = t / words_per_part, word = t % words_per_part;
  const int h = word / words_per_head, k = word % words_per_head;
  const auto* from = static_cast<const __nv_bfloat16*>(a.grads[part]) + b * a.stride_b +
                     h * a.stride_h + n * a.stride_n + k * kValuesPerWord;
  static_cast<uint4*>(a.out)[static_cast<int64_t>(row) * 3 * words_per_part + t] =
      *reinterpret_cast<const uint4*>(from);
}

bool aligned(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

}  // namespace

bool qkv_grad_stack_fits(const QkvGradStack& a) {
  if (a.head_dim <= 0 || a.head_dim % kValuesPerWord != 0 || a.heads <= 0) return false;
  if (a.stride_b % kValuesPerWord != 0 || a.stride_h % kValuesPerWord != 0 ||
      a.stride_n % kValuesPerWord != 0)
    return false;
  if (!aligned(a.out) || !aligned(a.grads[0]) || !aligned(a.grads[1]) || !aligned(a.grads[2]))
    return false;
  return 3 * a.heads * (a.head_dim / kValuesPerWord) <= kMaxThreads &&
         a.batch * a.tokens <= kMaxBlocks;
}

const char* launch_qkv_grad_stack(const QkvGradStack& a, void* stream) {
  const int64_t rows = a.batch * a.tokens;
  if (rows == 0) return "";
  const int words = 3 * a.heads * (a.head_dim / kValuesPerWord);
  const int threads = (words + 31) / 32 * 32;
  return launch_kernel(stack_kernel, static_cast<unsigned>(rows), static_cast<unsigned>(threads),
                       stream, a);
}

}  // namespace mae
