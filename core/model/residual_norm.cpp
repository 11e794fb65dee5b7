// Why: this ties the kernels into autograd: one function with two outputs,
// the sum and its norm, whose backward takes both gradients (the residual path's and the
// norm's) and gives x's, the branch's, gamma's and beta's in one pass. Without a branch the sum
// is x itself, passed through, so the residual path's gradient still arrives here.
#include "model/residual_norm.h"

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <torch/csrc/autograd/custom_function.h>

#include <optional>
#include <stdexcept>

#include "model/gpu_fusions.h"

#ifdef MAE_HAVE_CUDA_KERNELS
#include <ATen/cuda/CUDAContext.h>

#include "model/cuda_residual_norm.h"
#endif

namespace mae {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

#ifdef MAE_HAVE_CUDA_KERNELS
void* current_stream() { return at::cuda::getCurrentCUDAStream().stream(); }

// Forward on the GPU: fills sum (with a branch), normed, mean and rstd.
void forward_on_gpu(const at::Tensor& x, const at::Tensor& branch, const at::Tensor& gamma,
                    const at::Tensor& beta, double eps, NormedSum& out, at::Tensor& mean,
                    at::Tensor& rstd) {
  if (!x.is_contiguous() || !gamma.is_contiguous() || !beta.is_contiguous() ||
      (branch.defined() && (!branch.is_contiguous() || !branch.sizes().equals(x.sizes()))))
    throw std::invalid_argument("the fused LayerNorm takes contiguous rows, and a branch like x");
  const int64_t cols = x.size(-1), rows = x.numel() / cols;
  out.sum = branch.defined() ? at::empty_like(x) : x;
  out.normed = at::empty(x.sizes(), x.options().dtype(at::kBFloat16));
  mean = at::empty({rows}, x.options());
  rstd = at::empty({rows}, x.options());
  ResidualNormForward args{x.const_data_ptr<float>(),
                           branch.defined() ? branch.const_data_ptr() : nullptr,
                           gamma.const_data_ptr<float>(),
                           beta.const_data_ptr<float>(),
                           branch.defined() ? out.sum.mutable_data_ptr<float>() : nullptr,
                           out.normed.mutable_data_ptr(),
                           mean.mutable_data_ptr<float>(),
                           rstd.mutable_data_ptr<float>(),
                           rows,
                           static_cast<int>(cols),
                           static_cast<float>(eps)};
  check_kernel_launch("fused LayerNorm", launch_residual_norm_forward(args, current_stream()));
}

// Backward on the GPU, given the norm's gradient: x's (and the branch's) and gamma's and beta's.
void backward_on_gpu(const at::Tensor& grad_normed, const at::Tensor& grad_sum,
                     const at::Tensor& sum, const at::Tensor& mean, const at::Tensor& rstd,
                     const at::Tensor& gamma, bool has_branch, tensor_list& grads) {
  const int64_t cols = sum.size(-1), rows = sum.numel() / cols;
  const auto dy = grad_normed.to(at::kBFloat16).contiguous();
  const auto d_sum = grad_sum.defined() ? grad_sum.to(at::kFloat).contiguous() : at::Tensor();
  auto grad_x = at::empty_like(sum);
  auto grad_branch =
      has_branch ? at::empty(sum.sizes(), sum.options().dtype(at::kBFloat16)) : at::Tensor();
  const int blocks = residual_norm_backward_blocks(
      rows, static_cast<int>(cols), at::cuda::getCurrentDeviceProperties()->multiProcessorCount);
  auto partials = at::empty({2 * blocks, cols}, sum.options());
  ResidualNormBackward args{dy.const_data_ptr(),
                            d_sum.defined() ? d_sum.const_data_ptr<float>() : nullptr,
                            sum.const_data_ptr<float>(),
                            mean.const_data_ptr<float>(),
                            rstd.const_data_ptr<float>(),
                            gamma.const_data_ptr<float>(),
                            grad_x.mutable_data_ptr<float>(),
                            has_branch ? grad_branch.mutable_data_ptr() : nullptr,
                            partials.mutable_data_ptr<float>(),
                            rows,
                            static_cast<int>(cols)};
  check_kernel_launch("fused LayerNorm",
                      launch_residual_norm_backward(args, blocks, current_stream()));
  auto grad_gamma = at::empty({cols}, sum.options()), grad_beta = at::empty({cols}, sum.options());
  check_kernel_launch(
      "fused LayerNorm",
      launch_residual_norm_column_sums(partials.const_data_ptr<float>(), blocks,
                                       static_cast<int>(cols), grad_gamma.mutable_data_ptr<float>(),
                                       grad_beta.mutable_data_ptr<float>(), current_stream()));
  grads[0] = grad_x;
  grads[1] = grad_branch;
  grads[2] = grad_gamma;
  grads[3] = grad_beta;
}
#endif

class SumAndNormFunction : public torch::autograd::Function<SumAndNormFunction> {
 public:
  // `branch` is optional rather than undefined: autograd records every tensor argument's shape.
  static tensor_list forward(AutogradContext* ctx, const at::Tensor& x,
                             const std::optional<at::Tensor>& maybe_branch, const at::Tensor& gamma,
                             const at::Tensor& beta, double eps, at::ScalarType normed_type) {
    const at::Tensor branch = maybe_branch.value_or(at::Tensor());
    NormedSum out;
    at::Tensor mean, rstd;
#ifdef MAE_HAVE_CUDA_KERNELS
    if (x.is_cuda()) {
      if (normed_type != at::kBFloat16)
        throw std::invalid_argument("the fused LayerNorm on a GPU writes bf16 only");
      forward_on_gpu(x, branch, gamma, beta, eps, out, mean, rstd);
    }
#endif
    if (!x.is_cuda()) {
      out.sum = branch.defined() ? x + branch : x;
      const int64_t cols = x.size(-1);
      auto [y, m, r] = at::native_layer_norm(out.sum, {cols}, gamma, beta, eps);
      out.normed = y.to(normed_type);
      mean = m;
      rstd = r;
    }
    ctx->set_materialize_grads(false);  // an output left unused gets no zeros to add
    ctx->save_for_backward({out.sum, mean, rstd, gamma, beta});
    ctx->saved_data["branch_type"] =
        branch.defined() ? static_cast<int64_t>(branch.scalar_type()) : int64_t{-1};
    return {out.sum, out.normed};
  }

  static tensor_list backward(AutogradContext* ctx, const tensor_list& grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& sum = saved[0];
    const int64_t branch_type = ctx->saved_data["branch_type"].toInt();
    const bool has_branch = branch_type >= 0;
    const auto& grad_sum = grads[0];
    const auto& grad_normed = grads[1];
    tensor_list out(6);  // x, branch, gamma, beta, eps, normed_type
    if (!grad_normed.defined()) {
      out[0] = grad_sum;
      if (has_branch && grad_sum.defined())
        out[1] = grad_sum.to(static_cast<at::ScalarType>(branch_type));
      return out;
    }
#ifdef MAE_HAVE_CUDA_KERNELS
    if (sum.is_cuda()) {
      backward_on_gpu(grad_normed, grad_sum, sum, saved[1], saved[2], saved[3], has_branch, out);
      return out;
    }
#endif
    const int64_t cols = sum.size(-1);
    auto [dx, dgamma, dbeta] =
        at::native_layer_norm_backward(grad_normed.to(at::kFloat), sum, {cols}, saved[1], saved[2],
                                       saved[3], saved[4], {true, true, true});
    if (grad_sum.defined()) dx = grad_sum + dx;  // as autograd adds the residual path's
    out[0] = dx;
    if (has_branch) out[1] = dx.to(static_cast<at::ScalarType>(branch_type));
    out[2] = dgamma;
    out[3] = dbeta;
    return out;
  }
};

}  // namespace

bool fused_norm_applies(const at::Tensor& x, const at::Tensor& branch) {
#ifdef MAE_HAVE_CUDA_KERNELS
  if (!x.is_cuda() || x.scalar_type() != at::kFloat || x.dim() < 1 || !x.is_contiguous() ||
      x.numel() == 0 || !gpu_fusion_on(GpuFusion::norm) || !our_cuda_kernels_run_on(x.get_device()))
    return false;
  if (!at::autocast::is_autocast_enabled(at::kCUDA) ||
      at::autocast::get_autocast_dtype(at::kCUDA) != at::kBFloat16)
    return false;
  if (x.size(-1) > kResidualNormMaxWidth) return false;
  return !branch.defined() || (branch.scalar_type() == at::kBFloat16 && branch.is_contiguous() &&
                               branch.sizes().equals(x.sizes()));
#else
  (void)x;
  (void)branch;
  return false;
#endif
}

NormedSum fused_sum_and_norm(const at::Tensor& x, const at::Tensor& branch, const at::Tensor& gamma,
                             const at::Tensor& beta, double eps, at::ScalarType normed_type) {
  const auto maybe_branch = branch.defined() ? std::optional<at::Tensor>(branch) : std::nullopt;
  auto outputs = SumAndNormFunction::apply(x, maybe_branch, gamma, beta, eps, normed_type);
  return {outputs[0], outputs[1]};
}

NormedSum sum_and_norm(const at::Tensor& x, const at::Tensor& branch, torch::nn::LayerNorm& norm) {
  if (norm->weight.defined() && norm->bias.defined() && fused_norm_applies(x, branch))
    return fused_sum_and_norm(x, branch, norm->weight, norm->bias, norm->options.eps(),
                              at::kBFloat16);
  auto sum = branch.defined() ? x + branch : x;
  return {sum, norm(sum)};
}

}  // namespace mae
