// Why: a Linear layer's bias gradient is its output gradient summed over every row: for
// ViT-B/16's decoder at batch 128, 25,216 rows of up to 2,048 bf16 values. torch's reduction
// read them at about a quarter of the H200's bandwidth (84 of them, 2.3 ms of a 36 ms step).
// Here each thread reads 8 columns at once (16 bytes) down a share of the rows, blocks write
// per-chunk sums, and a second pass adds the chunks in a fixed order. Plain CUDA, no torch.
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

}  // namespace mae
