// Why: on AMD CPUs the model's float32 products run in oneDNN rather than torch's MKL; they
// must compute what at::linear and at::mm compute (to float32 rounding, in another order),
// transposed views included, and the choice must follow MAE_CPU_GEMM or the CPU's maker.
#include <ATen/autocast_mode.h>
#include <doctest/doctest.h>
#include <torch/torch.h>

#include "model/cpu_products.h"
#include "relative_gap.h"

using namespace mae;

TEST_CASE("oneDNN's products give at::linear's and at::mm's results") {
  torch::manual_seed(3);
  const auto x = at::randn({4, 17, 192});
  const auto weight = at::randn({576, 192});
  const auto bias = at::randn({576});
  const auto with_bias = onednn_linear(x, weight, bias);
  CHECK(with_bias.sizes() == at::IntArrayRef({4, 17, 576}));
  CHECK(relative_gap(with_bias, at::linear(x, weight, bias)) < 1e-6);
  CHECK(relative_gap(onednn_linear(x, weight, {}), at::linear(x, weight)) < 1e-6);
  // The backward's two products: one of a transposed view.
  const auto grad = at::randn({68, 576});
  const auto rows = x.reshape({68, 192});
  CHECK(relative_gap(onednn_mm(grad, weight), at::mm(grad, weight)) < 1e-6);
  CHECK(relative_gap(onednn_mm(grad.t(), rows), at::mm(grad.t(), rows)) < 1e-6);
}

TEST_CASE("MAE_CPU_GEMM chooses the products' library, else the CPU's maker does") {
  CHECK(cpu_gemm_for("", true) == CpuGemm::OneDnn);
  CHECK(cpu_gemm_for("", false) == CpuGemm::Mkl);
  CHECK(cpu_gemm_for("mkl", true) == CpuGemm::Mkl);
  CHECK(cpu_gemm_for("onednn", false) == CpuGemm::OneDnn);
  // A misspelt value counts as unset; where a program starts it is named (tuning_variables.h).
  CHECK(cpu_gemm_for("openblas", true) == CpuGemm::OneDnn);
  CHECK(cpu_gemm_for("openblas", false) == CpuGemm::Mkl);
  CHECK(cpu_gemm_value_problem("openblas") == "MAE_CPU_GEMM=openblas: it is onednn or mkl");
  CHECK(cpu_gemm_value_problem("").empty());
  CHECK(cpu_gemm_value_problem("mkl").empty());
  CHECK(cpu_gemm_value_problem("onednn").empty());
  // Float32 CPU tensors only, outside autocast, whose bf16 products are oneDNN's already.
  const auto float32 = at::zeros({2, 2});
  CHECK_FALSE(onednn_products_apply(float32, at::zeros({2, 2}, at::kBFloat16)));
  CHECK(onednn_products_apply(float32, float32) == (cpu_gemm() == CpuGemm::OneDnn));
  CHECK_FALSE(onednn_products_apply(at::zeros({0, 2}), float32));  // oneDNN divides by zero
  at::autocast::set_autocast_enabled(at::kCPU, true);
  const bool under_autocast = onednn_products_apply(float32, float32);
  at::autocast::set_autocast_enabled(at::kCPU, false);
  CHECK_FALSE(under_autocast);
}
