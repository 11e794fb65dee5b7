// Why: a pre-norm block is residual sums and LayerNorms around its attention and MLP. Under bf16
// autocast on a GPU those are memory-bound passes that cost more than the norms' arithmetic;
// there one kernel does a sum and the norm after it, in each direction
// (cuda_residual_norm.h says what it saves). Elsewhere they are torch's add and LayerNorm, as
// the authors' Block writes them.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/modules/normalization.h>

namespace mae {

struct NormedSum {
  at::Tensor sum;     // x + branch, or x itself
  at::Tensor normed;  // norm(sum)
};

// sum = x + branch (x alone when `branch` is undefined) and normed = norm(sum). Fused where
// fused_norm_applies: normed then comes in bf16, the values autocast's next matrix product
// would have rounded it to.
NormedSum sum_and_norm(const at::Tensor& x, const at::Tensor& branch, torch::nn::LayerNorm& norm);

// Whether sum_and_norm takes the fused path: our CUDA kernels run on x's GPU, x is float32
// there under bf16 autocast, contiguous, with rows no wider than kResidualNormMaxWidth, and
// `branch` is undefined or bf16 of x's shape, contiguous; and MAE_UNFUSED does not name "norm".
bool fused_norm_applies(const at::Tensor& x, const at::Tensor& branch);

// The fused path on any device, with normed in `normed_type` (bf16 on a GPU). On the CPU it is
// torch's ops in autocast's order (add in float32, LayerNorm in float32, one rounding), which
// the tests compare the GPU kernels' results and the autograd wiring with.
NormedSum fused_sum_and_norm(const at::Tensor& x, const at::Tensor& branch, const at::Tensor& gamma,
                             const at::Tensor& beta, double eps, at::ScalarType normed_type);

}  // namespace mae
