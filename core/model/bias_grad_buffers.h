// Why: the two bias-gradient launches (a Linear layer's sum, and fc1's GELU backward with its
// sum) need the same buffers on the same terms: as many row chunks as suit the GPU, a float
// row of partial sums per chunk, and the result in the gradient's dtype. Only for files
// built with our CUDA kernels.
#pragma once

#include <ATen/ATen.h>
#include <ATen/cuda/CUDAContext.h>

#include "model/cuda_bias_grad.h"

namespace mae {

struct BiasGradBuffers {
  int chunks;
  at::Tensor partials;  // (chunks, cols) float32
  at::Tensor sums;      // (cols), in the gradient's dtype
};

// For a (rows, cols) gradient like `grad` on the current GPU.
inline BiasGradBuffers bias_grad_buffers(const at::Tensor& grad, int64_t rows, int cols) {
  const int chunks =
      bias_grad_chunks(rows, cols, at::cuda::getCurrentDeviceProperties()->multiProcessorCount);
  return {chunks, at::empty({chunks, cols}, grad.options().dtype(at::kFloat)),
          at::empty({cols}, grad.options())};
}

}  // namespace mae
