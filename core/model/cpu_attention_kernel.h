// Why: the arithmetic of attention for one head of one image on the CPU, in vector code kept
// apart from torch so that its source alone is built for AVX2 with FMA (and for AVX-512).
// The sequences of MAE on a CPU are short (13 to 65 tokens for the small presets), so one
// head's q, k, v, probabilities and gradients all fit in the first-level cache;
// cpu_attention.h wraps this for autograd.
#pragma once

#include <cstdint>

namespace mae {

// A bfloat16 value as its bits, the upper half of a float32's (the layout of torch's
// c10::BFloat16), so that this file stays apart from torch. Under CPU autocast the kernels
// read and write it directly, and compute in float32 in between: no widened copy of qkv.
struct Bf16 {
  uint16_t bits;
};

// One head of one image inside the qkv projection's output: token i's row starts at
// qkv + i * 3 * dim and holds q, k, v one after another, each `dim` = heads * head_dim
// wide; this head's part of each is head_dim values at head * head_dim. T is float or Bf16.
template <class T>
struct AttentionHead {
  const T* qkv;
  int64_t tokens, head_dim, dim, head;
};

// The kernels of one instruction set, as a table: the file is built twice (CMakeLists.txt),
// for AVX2 with FMA (8-float vectors, 16-float strips) and for AVX-512 (16-float vectors,
// 32-float strips). The two pad the probabilities differently, so a process uses one set
// throughout (cpu_attention picks it once).
struct AttentionKernels {
  const char* name;  // "avx2" or "avx512"
  // Floats of one head's probabilities: tokens rows, each padded with zeros to whole strips.
  int64_t (*probs_floats)(int64_t tokens);
  // Floats of scratch forward and backward need.
  int64_t (*forward_scratch)(int64_t tokens, int64_t head_dim);
  int64_t (*backward_scratch)(int64_t tokens, int64_t head_dim);
  // probs (probs_floats) = softmax((q k^T) * scale) by rows, as the authors' Attention
  // computes it; out = probs v, written to token i's row at out + i * dim + head * head_dim
  // (bf16 rounded to nearest even, once, from the float32 result).
  void (*forward)(const AttentionHead<float>& h, float scale, float* probs, float* out,
                  float* scratch);
  void (*forward_bf16)(const AttentionHead<Bf16>& h, float scale, float* probs, Bf16* out,
                       float* scratch);
  // From probs (as the forward wrote them) and the gradient of out (same layout as out), the
  // gradients of this head's q, k and v, written into grad_qkv (the layout of qkv).
  void (*backward)(const AttentionHead<float>& h, float scale, const float* probs,
                   const float* grad_out, float* grad_qkv, float* scratch);
  void (*backward_bf16)(const AttentionHead<Bf16>& h, float scale, const float* probs,
                        const Bf16* grad_out, Bf16* grad_qkv, float* scratch);
};

// Built for AVX2 with FMA (any x86-64 CPU since 2013), and for AVX-512F.
const AttentionKernels& attention_kernels_avx2();
const AttentionKernels& attention_kernels_avx512();

}  // namespace mae
