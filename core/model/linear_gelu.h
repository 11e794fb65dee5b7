// Why: the MLP's fc1 output goes through GELU, and in backward its gradient was written by
// GELU's backward and read again, whole, for fc1's bias gradient: for ViT-B/16 at batch 128 a
// 103 MB pass in each decoder block. On a GPU under bf16 this function's backward does both
// in one pass (cuda_bias_grad.h); fc1's products are at::linear's, as everywhere.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/modules/linear.h>

namespace mae {

// exact_gelu(linear(layer, x)), with the fused backward where linear_gelu_fusion_applies.
at::Tensor linear_gelu(const torch::nn::Linear& layer, const at::Tensor& x);

// Whether it does for these (the step's bf16 casts of layer's weight and bias): where the bias
// gradient kernel applies (linear.h) and MAE_UNFUSED does not name "gelu".
bool linear_gelu_fusion_applies(const at::Tensor& x, const at::Tensor& weight,
                                const at::Tensor& bias);

// gelu(linear(x, weight, bias)) with this file's backward on any device (on the CPU, torch's
// gelu_backward and sum), for the tests to compare with autograd's.
at::Tensor linear_gelu_with_fused_backward(const at::Tensor& x, const at::Tensor& weight,
                                           const at::Tensor& bias);

}  // namespace mae
