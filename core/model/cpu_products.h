// Why: torch's float32 CPU products go to MKL's sgemm, which on an AMD EPYC (Zen 4) ran the
// model's shapes 5-25 % slower than oneDNN's matmul from the same torch wheel, forward and
// backward alike, while GEMMs are two thirds of a small preset's CPU step. On such CPUs the
// Linear layers' products go to oneDNN; elsewhere torch's choice (MKL) stays, which on the
// Intel machines measured before ran these GEMMs at about 84 % of the CPU's peak.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>

namespace mae {

// Which library a float32 CPU product of the model runs in. MAE_CPU_GEMM=onednn or =mkl
// chooses (to compare); otherwise oneDNN on AMD CPUs and MKL elsewhere. Another value counts
// as unset here; programs refuse it or say so where they start (tuning_variables.h).
enum class CpuGemm { Mkl, OneDnn };
CpuGemm cpu_gemm();
// The choice for MAE_CPU_GEMM's value `asked` ("" when unset) on an AMD CPU or another.
CpuGemm cpu_gemm_for(const std::string& asked, bool amd_cpu);
// "" when `asked` is a value MAE_CPU_GEMM knows (or empty), else a line naming it.
std::string cpu_gemm_value_problem(const std::string& asked);

// Whether the product of `a` and `b` goes to oneDNN: both float32, not empty, on the CPU,
// where cpu_gemm() is OneDnn, outside CPU autocast (whose casts happen in torch's dispatch,
// which these calls go around; its bf16 products are oneDNN's already).
bool onednn_products_apply(const at::Tensor& a, const at::Tensor& b);

// x W^T + b over x's last axis (x of any rank, W (out, in), b (out) or undefined), as
// at::linear computes it, by oneDNN's matmul.
at::Tensor onednn_linear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias);

// a b for 2-D a and b (either may be a transposed view), by oneDNN's matmul.
at::Tensor onednn_mm(const at::Tensor& a, const at::Tensor& b);

}  // namespace mae
