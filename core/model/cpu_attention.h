// Why: on the CPU the sequences of MAE are short (13 to 65 tokens for the small presets, 50
// and 197 in ViT-B/16's encoder and decoder). There torch's scaled_dot_product_attention (a
// flash kernel made for long sequences) spent a sixth of a training step, and the plain
// bmm-and-softmax path spends most of its time on copies and tiny batched products. This
// attention reads q, k, v straight from the qkv projection's output, keeps one head's work in
// cache, writes the layout the output projection reads, and in backward writes the gradient
// of qkv in place: no transposes, no copies. It computes what the authors' Attention does:
// softmax((q k^T) * head_dim^-0.5) v.
#pragma once

#include <ATen/core/Tensor.h>

namespace mae {

// Whether `qkv` (B, N, 3 * dim), the qkv projection's output, can take the path below:
// float32 on the CPU (or bfloat16 under CPU autocast, in training: computed in float32),
// contiguous, at most 256 tokens, on an x86-64 CPU with AVX2 and FMA.
bool cpu_attention_applies(const at::Tensor& qkv);

// Attention of `heads` heads over qkv (B, N, 3 * dim); returns (B, N, dim). Differentiable:
// when qkv requires grad, the probabilities are kept for backward.
at::Tensor cpu_attention(const at::Tensor& qkv, int64_t heads);

// The kernels it runs here: "avx512" where the CPU has AVX-512F (unless MAE_CPU_KERNELS=avx2),
// else "avx2"; "" where it does not apply at all (torch's attention runs).
const char* cpu_attention_kernel_set();

}  // namespace mae
