// Why: the arithmetic of attention for one head of one image on the CPU, in vector code kept
// apart from torch so that this file alone is built for AVX2 with FMA. The sequences of MAE
// on a CPU are short (13 to 65 tokens for the small presets), so one head's q, k, v,
// probabilities and gradients all fit in the first-level cache; cpu_attention.h wraps this
// for autograd.
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

// Floats of one head's probabilities: tokens rows, each padded with zeros to a whole vector.
int64_t attention_probs_floats(int64_t tokens);

// Floats of scratch the two functions below need.
int64_t attention_forward_scratch(int64_t tokens, int64_t head_dim);
int64_t attention_backward_scratch(int64_t tokens, int64_t head_dim);

// probs (attention_probs_floats) = softmax((q k^T) * scale) by rows, as the authors'
// Attention computes it; out = probs v, written to token i's row at out + i * dim + head *
// head_dim (bf16 rounded to nearest even, once, from the float32 result).
template <class T>
void attention_head_forward(const AttentionHead<T>& h, float scale, float* probs, T* out,
                            float* scratch);

// From probs (as the forward wrote them) and the gradient of out (same layout as out), the
// gradients of this head's q, k and v, written into grad_qkv (the layout of qkv).
template <class T>
void attention_head_backward(const AttentionHead<T>& h, float scale, const float* probs,
                             const T* grad_out, T* grad_qkv, float* scratch);

}  // namespace mae
