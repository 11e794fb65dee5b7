// Why: attention's q, k and v are views of one qkv product, so their three gradients must be
// stacked back into its (B, N, 3, heads, head_dim) rows. torch's stack of the three strided
// gradients ran at about a fifth of the H200's bandwidth (1.9 ms of a 36 ms ViT-B/16 step):
// it moves two bytes a thread with index arithmetic for each. Here a block takes one token
// row and each thread copies 16 bytes, read and written whole. Plain CUDA, no torch headers.
#pragma once

#include <cstdint>

namespace mae {

// The three bf16 gradients share one layout: (B, heads, N, head_dim) with element strides
// (stride_b, stride_h, stride_n, 1). `out` is bf16 (B, N, 3, heads, head_dim), contiguous.
struct QkvGradStack {
  const void* grads[3];  // q's, k's, v's
  void* out;
  int64_t batch;
  int64_t tokens;
  int heads;
  int head_dim;
  int64_t stride_b;
  int64_t stride_h;
  int64_t stride_n;
};

// Whether the kernel takes these: head_dim and the strides multiples of 8 (whole 16-byte
// words), every pointer 16-byte aligned, a token row's words within one block's 1,024
// threads, and no more token rows than a grid has blocks (2^31 - 1).
bool qkv_grad_stack_fits(const QkvGradStack& args);

// Returns an empty string or the CUDA error of the launch; `stream` is a cudaStream_t.
const char* launch_qkv_grad_stack(const QkvGradStack& args, void* stream);

}  // namespace mae
