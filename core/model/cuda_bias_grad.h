// Why: a Linear layer's bias gradient is its output gradient summed over every row: for
// ViT-B/16's decoder at batch 128, 25,216 rows of up to 2,048 bf16 values. torch's reduction
// read them at about a quarter of the H200's bandwidth (84 of them, 2.3 ms of a 36 ms step).
// Here each thread reads 8 columns at once (16 bytes) down a share of the rows, blocks write
// per-chunk sums, and a second pass adds the chunks in a fixed order. For the MLP's fc1, whose
// output goes through GELU, the same pass first applies GELU's backward, so that gradient is
// read once for both (torch reads it again for the sum). Plain CUDA, no torch.
#pragma once

#include <cstdint>

namespace mae {

// Whether the kernels take a (rows, cols) bf16 gradient at `data`: cols a multiple of 8 and
// the data 16-byte aligned.
bool bias_grad_kernel_fits(const void* data, int cols);

// How many row chunks to split `rows` into for `cols` columns on `multiprocessors`.
int bias_grad_chunks(int64_t rows, int cols, int multiprocessors);

// out[c] = bf16(sum over rows of grad[r][c]), float32 sums. `partials` holds chunks * cols
// floats. Returns an empty string or the CUDA error of a launch; `stream` is a cudaStream_t.
const char* launch_bias_grad(const void* grad, int64_t rows, int cols, int chunks, float* partials,
                             void* out, void* stream);

// grad_pre = bf16(grad_h * GELU'(pre)), the exact (erf) GELU's slope in float32 as torch
// computes it, and out = that bias gradient summed as launch_bias_grad sums. All three arrays
// (rows, cols) bf16, each as bias_grad_kernel_fits asks.
const char* launch_gelu_backward_and_bias_grad(const void* grad_h, const void* pre, void* grad_pre,
                                               int64_t rows, int cols, int chunks, float* partials,
                                               void* out, void* stream);

}  // namespace mae
