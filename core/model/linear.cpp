// Why: the backward is at::linear's (AddmmBackward's) products, with the bias
// gradient summed by the kernel instead of torch's reduction on a GPU, and the products run
// by oneDNN where it is the CPU's faster library.
#include "model/linear.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>

#include "model/cpu_products.h"
#include "model/gpu_fusions.h"
#include "model/records_grad.h"
#include "model/weight_casts.h"

#ifdef MAE_HAVE_CUDA_KERNELS
#include "model/bias_grad_buffers.h"
#endif

namespace mae {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// The sum over rows of `grad` (rows, cols), in its dtype.
at::Tensor bias_grad(const at::Tensor& grad) {
#ifdef MAE_HAVE_CUDA_KERNELS
  if (grad.is_cuda() && grad.scalar_type() == at::kBFloat16 && grad.is_contiguous() &&
      bias_grad_kernel_fits(grad.const_data_ptr(), static_cast<int>(grad.size(1)))) {
    const int64_t rows = grad.size(0);
    const int cols = static_cast<int>(grad.size(1));
    auto buffers = bias_grad_buffers(grad, rows, cols);
    check_kernel_launch("bias gradient",
                        launch_bias_grad(grad.const_data_ptr(), rows, cols, buffers.chunks,
                                         buffers.partials.mutable_data_ptr<float>(),
                                         buffers.sums.mutable_data_ptr(),
                                         at::cuda::getCurrentCUDAStream().stream()));
    return buffers.sums;
  }
#endif
  return grad.sum(0);
}

class LinearFunction : public torch::autograd::Function<LinearFunction> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& weight,
                            const at::Tensor& bias) {
    ctx->save_for_backward({x, weight});
    return onednn_products_apply(x, weight) ? onednn_linear(x, weight, bias)
                                            : at::linear(x, weight, bias);
  }

  static tensor_list backward(AutogradContext* ctx, const tensor_list& grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto& weight = saved[1];
    const auto grad = grads[0].contiguous();
    tensor_list out(3);
    if (ctx->needs_input_grad(0)) out[0] = linear_input_grad(grad, weight);
    if (ctx->needs_input_grad(1)) out[1] = linear_weight_grad(grad, x);
    if (ctx->needs_input_grad(2)) out[2] = bias_grad(grad.reshape({-1, grad.size(-1)}));
    return out;
  }
};

}  // namespace

at::Tensor linear_input_grad(const at::Tensor& grad, const at::Tensor& weight) {
  if (!onednn_products_apply(grad, weight)) return at::matmul(grad, weight);
  auto shape = grad.sizes().vec();
  shape.back() = weight.size(1);
  return onednn_mm(grad.reshape({-1, grad.size(-1)}), weight).view(shape);
}

at::Tensor linear_weight_grad(const at::Tensor& grad, const at::Tensor& x) {
  const auto grad_rows = grad.reshape({-1, grad.size(-1)}).t();
  const auto x_rows = x.reshape({-1, x.size(-1)});
  return onednn_products_apply(grad, x) ? onednn_mm(grad_rows, x_rows) : grad_rows.mm(x_rows);
}

bool bias_grad_kernel_applies(const at::Tensor& x, const at::Tensor& weight,
                              const at::Tensor& bias) {
#ifdef MAE_HAVE_CUDA_KERNELS
  if (!x.is_cuda() || !bias.defined() || x.dim() < 2) return false;
  for (const auto* t : {&x, &weight, &bias})
    if (t->scalar_type() != at::kBFloat16 || !t->is_contiguous()) return false;
  return (records_grad(weight) || records_grad(bias) || records_grad(x)) &&
         weight.size(0) % 8 == 0 && gpu_fusion_on(GpuFusion::bias) &&
         our_cuda_kernels_run_on(x.get_device());
#else
  (void)x;
  (void)weight;
  (void)bias;
  return false;
#endif
}

at::Tensor linear_with_bias_grad_kernel(const at::Tensor& x, const at::Tensor& weight,
                                        const at::Tensor& bias) {
  return LinearFunction::apply(x, weight, bias);
}

at::Tensor linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  if (bias_grad_kernel_applies(x, weight, bias) || onednn_products_apply(x, weight))
    return LinearFunction::apply(x, weight, bias);
  return at::linear(x, weight, bias);
}

at::Tensor linear(const torch::nn::Linear& layer, const at::Tensor& x) {
  return linear(x, cast_weight(layer->weight), cast_weight(layer->bias));
}

}  // namespace mae
