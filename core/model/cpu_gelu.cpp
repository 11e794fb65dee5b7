// Why: the arithmetic is in cpu_gelu_kernel.cpp; this spreads it over the
// intra-op threads and ties it into autograd.
#include "model/cpu_gelu.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/record_function.h>
#include <torch/csrc/autograd/custom_function.h>

#include "model/cpu_features.h"
#include "model/cpu_gelu_kernel.h"
#include "model/records_grad.h"

namespace mae {

namespace {
constexpr int64_t kGrain = 16384;  // values per task: a few microseconds of work

class GeluWithSlopeFunction : public torch::autograd::Function<GeluWithSlopeFunction> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x) {
    RECORD_FUNCTION("mae::gelu_with_slope", std::vector<c10::IValue>());  // named in profiles
    static const auto kernel =
        avx512_kernels_run_here() ? gelu_with_slope_avx512 : gelu_with_slope_avx2;
    auto out = at::empty_like(x);
    auto slope = at::empty_like(x);
    const float* in = x.const_data_ptr<float>();
    float* out_data = out.mutable_data_ptr<float>();
    float* slope_data = slope.mutable_data_ptr<float>();
    at::parallel_for(0, x.numel(), kGrain, [&](int64_t begin, int64_t end) {
      kernel(in + begin, out_data + begin, slope_data + begin, end - begin);
    });
    ctx->save_for_backward({slope});
    return out;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               const torch::autograd::tensor_list& grads) {
    return {grads[0] * ctx->get_saved_variables()[0]};
  }
};

bool one_pass_applies(const at::Tensor& x) {
  return avx2_fma_kernels_run_here() && x.device().is_cpu() && x.scalar_type() == at::kFloat &&
         x.is_contiguous() && records_grad(x);
}
}  // namespace

at::Tensor exact_gelu(const at::Tensor& x) {
  if (one_pass_applies(x)) return GeluWithSlopeFunction::apply(x);
  return at::gelu(x);
}

}  // namespace mae
