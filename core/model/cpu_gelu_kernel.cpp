// Why: with z = |x| / sqrt(2) and t = 1 / (1 + p z), erf(z) is
// 1 - t r(t) e^(-z^2), and e^(-z^2) = e^(-x^2/2) is also what phi(x) needs: one e^x, one
// division and two short polynomials per vector. On x86-64 the file is built for AVX2 with
// FMA (CMakeLists.txt), which cpu_gelu's caller checks first, and again for AVX-512 by
// cpu_gelu_kernel_avx512.cpp, which sets the two macros below first.
#ifndef MAE_GELU_WITH_SLOPE
#define MAE_GELU_WITH_SLOPE gelu_with_slope_avx2
#endif

#include "model/cpu_gelu_kernel.h"

#include <algorithm>

#include "model/cpu_vector_math.h"

namespace mae {

namespace {
using cpu_vec::exp_nonpositive;
using cpu_vec::kVec;
using cpu_vec::load;
using cpu_vec::store;
using cpu_vec::Vec;

void gelu_vec(const float* x_in, float* out, float* slope) {
  const Vec x = load(x_in);
  const Vec z = (x < 0.f ? -x : x) * 0.70710678118654752f;
  const Vec t = 1.f / (0.3275911f * z + 1.f);
  Vec r = 1.061405429f * t - 1.453152027f;
  r = r * t + 1.421413741f;
  r = r * t - 0.284496736f;
  r = r * t + 0.254829592f;
  const Vec e = exp_nonpositive(-0.5f * x * x);  // e^(-z^2)
  const Vec erf_abs = 1.f - r * t * e;
  const Vec cdf = 0.5f + 0.5f * (x < 0.f ? -erf_abs : erf_abs);  // Phi(x)
  store(out, x * cdf);
  store(slope, cdf + x * e * 0.39894228040143268f);  // + x phi(x)
}
}  // namespace

void MAE_GELU_WITH_SLOPE(const float* x, float* out, float* slope, int64_t n) {
  int64_t i = 0;
  for (; i + kVec <= n; i += kVec) gelu_vec(x + i, out + i, slope + i);
  if (i == n) return;
  float in_tail[kVec] = {}, out_tail[kVec], slope_tail[kVec];
  std::copy(x + i, x + n, in_tail);
  gelu_vec(in_tail, out_tail, slope_tail);
  std::copy(out_tail, out_tail + (n - i), out + i);
  std::copy(slope_tail, slope_tail + (n - i), slope + i);
}

}  // namespace mae
