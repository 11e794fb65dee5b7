// Why: oneDNN's matmul is reached through ATen's own entry point, the one torch's reduced-
// precision CPU products call: exported by the pinned torch 2.11 wheel, though its header
// (ATen/native/mkldnn/Matmul.h) is not shipped, so it is declared here as ATen declares it.
#include "model/cpu_products.h"

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>

#include <cstdlib>

namespace at::native {
// result = beta * result + alpha * (mat1 @ mat2)
TORCH_API void mkldnn_matmul(const Tensor& mat1, const Tensor& mat2, const Tensor& result,
                             float beta, float alpha);
}  // namespace at::native

namespace mae {

CpuGemm cpu_gemm_for(const std::string& asked, bool amd_cpu) {
  if (asked == "onednn") return CpuGemm::OneDnn;
  if (asked == "mkl") return CpuGemm::Mkl;
  return amd_cpu ? CpuGemm::OneDnn : CpuGemm::Mkl;
}

std::string cpu_gemm_value_problem(const std::string& asked) {
  if (asked.empty() || asked == "onednn" || asked == "mkl") return "";
  return "MAE_CPU_GEMM=" + asked + ": it is onednn or mkl";
}

CpuGemm cpu_gemm() {
  static const CpuGemm gemm = [] {
    const char* asked = std::getenv("MAE_CPU_GEMM");
#if defined(__x86_64__)
    const bool amd_cpu = __builtin_cpu_is("amd");
#else
    const bool amd_cpu = false;
#endif
    return cpu_gemm_for(asked ? asked : "", amd_cpu);
  }();
  return gemm;
}

bool onednn_products_apply(const at::Tensor& a, const at::Tensor& b) {
  // An empty product (no patch kept, say) stops oneDNN with a division by zero; torch's
  // takes it.
  const auto cpu_float = [](const at::Tensor& t) {
    return t.device().is_cpu() && t.scalar_type() == at::kFloat && t.numel() > 0;
  };
  return cpu_float(a) && cpu_float(b) && cpu_gemm() == CpuGemm::OneDnn &&
         !at::autocast::is_autocast_enabled(at::kCPU);
}

at::Tensor onednn_linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  const auto rows = x.reshape({-1, x.size(-1)});
  auto out = at::empty({rows.size(0), weight.size(0)}, x.options());
  at::native::mkldnn_matmul(rows, weight.t(), out, 0.0f, 1.0f);
  // The bias after the product: accumulating the product into a broadcast copy of it (beta 1)
  // made rgb-small's training step 2.5 % slower (fastest of 8 steps, four alternating runs).
  if (bias.defined()) out.add_(bias);
  auto shape = x.sizes().vec();
  shape.back() = weight.size(0);
  return out.view(shape);
}

at::Tensor onednn_mm(const at::Tensor& a, const at::Tensor& b) {
  auto out = at::empty({a.size(0), b.size(1)}, a.options());
  at::native::mkldnn_matmul(a, b, out, 0.0f, 1.0f);
  return out;
}

}  // namespace mae
