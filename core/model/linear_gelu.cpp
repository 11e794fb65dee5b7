// Why: forward saves fc1's output before GELU (as GELU's own backward
// would), and backward turns the GELU output's gradient into that output's, with its column
// sums for the bias, before fc1's two products.
#include "model/linear_gelu.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>

#include "model/cpu_gelu.h"
#include "model/gpu_fusions.h"
#include "model/linear.h"
#include "model/weight_casts.h"

#ifdef MAE_HAVE_CUDA_KERNELS
#include "model/bias_grad_buffers.h"
#endif

namespace mae {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

struct PreActivationGrads {
  at::Tensor grad_pre, bias;
};

// From the GELU output's gradient: fc1's output gradient and its bias gradient (the sum over
// rows), by the kernel where it takes them, else by torch's ops.
PreActivationGrads through_gelu(const at::Tensor& grad_h, const at::Tensor& pre) {
  const int64_t cols = pre.size(-1);
#ifdef MAE_HAVE_CUDA_KERNELS
  if (grad_h.is_cuda() && grad_h.scalar_type() == at::kBFloat16 &&
      pre.scalar_type() == at::kBFloat16 && pre.is_contiguous()) {
    auto grad_pre = at::empty_like(pre);
    const int c = static_cast<int>(cols);
    if (bias_grad_kernel_fits(grad_h.const_data_ptr(), c) &&
        bias_grad_kernel_fits(pre.const_data_ptr(), c) &&
        bias_grad_kernel_fits(grad_pre.const_data_ptr(), c)) {
      const int64_t rows = pre.numel() / cols;
      auto buffers = bias_grad_buffers(pre, rows, c);
      check_kernel_launch(
          "GELU backward and bias gradient",
          launch_gelu_backward_and_bias_grad(
              grad_h.const_data_ptr(), pre.const_data_ptr(), grad_pre.mutable_data_ptr(), rows, c,
              buffers.chunks, buffers.partials.mutable_data_ptr<float>(),
              buffers.sums.mutable_data_ptr(), at::cuda::getCurrentCUDAStream().stream()));
      return {grad_pre, buffers.sums};
    }
  }
#endif
  auto grad_pre = at::gelu_backward(grad_h, pre);
  return {grad_pre, grad_pre.reshape({-1, cols}).sum(0)};
}

class LinearGeluFunction : public torch::autograd::Function<LinearGeluFunction> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& weight,
                            const at::Tensor& bias) {
    auto pre = at::linear(x, weight, bias);
    ctx->save_for_backward({x, weight, pre});
    return at::gelu(pre);
  }

  static tensor_list backward(AutogradContext* ctx, const tensor_list& grads) {
    const auto saved = ctx->get_saved_variables();
    const auto [grad_pre, bias] = through_gelu(grads[0].contiguous(), saved[2]);
    tensor_list out(3);
    if (ctx->needs_input_grad(0)) out[0] = linear_input_grad(grad_pre, saved[1]);
    if (ctx->needs_input_grad(1)) out[1] = linear_weight_grad(grad_pre, saved[0]);
    if (ctx->needs_input_grad(2)) out[2] = bias;
    return out;
  }
};

}  // namespace

bool linear_gelu_fusion_applies(const at::Tensor& x, const at::Tensor& weight,
                                const at::Tensor& bias) {
  return bias_grad_kernel_applies(x, weight, bias) && gpu_fusion_on(GpuFusion::gelu);
}

at::Tensor linear_gelu_with_fused_backward(const at::Tensor& x, const at::Tensor& weight,
                                           const at::Tensor& bias) {
  return LinearGeluFunction::apply(x, weight, bias);
}

at::Tensor linear_gelu(const torch::nn::Linear& layer, const at::Tensor& x) {
  const auto& weight = cast_weight(layer->weight);
  const auto& bias = cast_weight(layer->bias);
  if (linear_gelu_fusion_applies(x, weight, bias))
    return linear_gelu_with_fused_backward(x, weight, bias);
  return exact_gelu(linear(layer, x));
}

}  // namespace mae
