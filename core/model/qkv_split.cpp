// Why: the forward returns views, as unbind does; only the backward differs.
#include "model/qkv_split.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>

#include "model/gpu_fusions.h"
#include "model/records_grad.h"

#ifdef MAE_HAVE_CUDA_KERNELS
#include <ATen/cuda/CUDAContext.h>

#include "model/cuda_qkv_grads.h"
#endif

namespace mae {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

QkvViews unbound(const at::Tensor& projected, int64_t heads) {
  const int64_t b = projected.size(0), n = projected.size(1), c = projected.size(2) / 3;
  auto parts = projected.reshape({b, n, 3, heads, c / heads}).unbind(2);
  return {parts[0].transpose(1, 2), parts[1].transpose(1, 2), parts[2].transpose(1, 2)};
}

// The three gradients in qkv's (B, N, 3 * C) layout by the kernel, or an undefined tensor
// where it does not take them.
at::Tensor stacked_by_kernel(const tensor_list& grads) {
#ifdef MAE_HAVE_CUDA_KERNELS
  const auto& q = grads[0];
  if (!q.is_cuda() || q.scalar_type() != at::kBFloat16 || q.stride(3) != 1) return {};
  for (const auto& g : grads)
    if (g.scalar_type() != at::kBFloat16 || !g.sizes().equals(q.sizes()) ||
        !g.strides().equals(q.strides()))
      return {};
  const int64_t b = q.size(0), heads = q.size(1), n = q.size(2), d = q.size(3);
  auto out = at::empty({b, n, 3 * heads * d}, q.options());
  QkvGradStack args{{q.const_data_ptr(), grads[1].const_data_ptr(), grads[2].const_data_ptr()},
                    out.mutable_data_ptr(),
                    b,
                    n,
                    static_cast<int>(heads),
                    static_cast<int>(d),
                    q.stride(0),
                    q.stride(1),
                    q.stride(2)};
  if (!qkv_grad_stack_fits(args)) return {};
  check_kernel_launch("qkv gradient stack",
                      launch_qkv_grad_stack(args, at::cuda::getCurrentCUDAStream().stream()));
  return out;
#else
  (void)grads;
  return {};
#endif
}

class SplitQkvFunction : public torch::autograd::Function<SplitQkvFunction> {
 public:
  static tensor_list forward(AutogradContext* ctx, const at::Tensor& projected, int64_t heads) {
    ctx->set_materialize_grads(true);  // so an unused view's gradient arrives as zeros
    const auto views = unbound(projected, heads);
    return {views.q, views.k, views.v};
  }

  static tensor_list backward(AutogradContext* /*ctx*/, const tensor_list& grads) {
    auto out = stacked_by_kernel(grads);
    if (!out.defined()) {
      const int64_t b = grads[0].size(0), n = grads[0].size(2);
      out = at::stack(
                {grads[0].transpose(1, 2), grads[1].transpose(1, 2), grads[2].transpose(1, 2)}, 2)
                .reshape({b, n, -1});
    }
    return {out, at::Tensor()};
  }
};

}  // namespace

bool qkv_stack_kernel_applies(const at::Tensor& projected) {
#ifdef MAE_HAVE_CUDA_KERNELS
  return projected.is_cuda() && projected.scalar_type() == at::kBFloat16 &&
         records_grad(projected) && gpu_fusion_on(GpuFusion::qkv) &&
         our_cuda_kernels_run_on(projected.get_device());
#else
  (void)projected;
  return false;
#endif
}

QkvViews split_qkv_with_own_backward(const at::Tensor& projected, int64_t heads) {
  auto views = SplitQkvFunction::apply(projected, heads);
  return {views[0], views[1], views[2]};
}

QkvViews split_qkv(const at::Tensor& projected, int64_t heads) {
  if (qkv_stack_kernel_applies(projected)) return split_qkv_with_own_backward(projected, heads);
  return unbound(projected, heads);
}

}  // namespace mae
