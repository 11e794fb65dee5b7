// Why: every Linear layer of the model goes through one function, so that a training step can
// change how a product runs without touching what the model computes: its weights cast
// together (weight_casts.h), and on a GPU the bias gradient by a faster kernel.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/modules/linear.h>

namespace mae {

// y = x W^T + b through at::linear, which folds a (B, N, D) input into one GEMM with the
// bias fused in. The C++ frontend's Linear::forward instead runs a batched matmul and then
// adds the bias in a second pass (and sums it again in backward): a tenth of a CPU step.
// In a training step under autocast, the weight and bias are the step's casts; where
// bias_grad_kernel_applies, backward sums the bias gradient with cuda_bias_grad's kernel; on
// CPUs where oneDNN is the faster library (cpu_products.h), forward and backward products run
// there.
at::Tensor linear(const torch::nn::Linear& layer, const at::Tensor& x);
// The same product for a weight and bias of the caller's (the patch embedding's reordered
// convolution); float32 CPU products run by oneDNN where cpu_products.h chooses it.
at::Tensor linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias);

// Whether a product of bf16 x, weight and bias takes the bias-gradient kernel: they are on a
// GPU where our kernels run, contiguous, autograd records, the output width is a multiple of
// 8, and MAE_UNFUSED does not name "bias".
bool bias_grad_kernel_applies(const at::Tensor& x, const at::Tensor& weight,
                              const at::Tensor& bias);

// AddmmBackward's products for y = x W^T + b, from y's contiguous gradient `grad`: x's
// gradient (grad W) and the weight's (grad^T x, over all rows).
at::Tensor linear_input_grad(const at::Tensor& grad, const at::Tensor& weight);
at::Tensor linear_weight_grad(const at::Tensor& grad, const at::Tensor& x);

// at::linear with that backward on any device (on the CPU the bias gradient is torch's sum),
// for the tests to compare with at::linear's own.
at::Tensor linear_with_bias_grad_kernel(const at::Tensor& x, const at::Tensor& weight,
                                        const at::Tensor& bias);

}  // namespace mae
