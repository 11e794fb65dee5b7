// Why: GELU's backward needs the slope Phi(x) + x phi(x), which torch recomputes from the
// saved input with a second erf and exp. Both come out of the forward's arithmetic for a few
// multiply-adds more, so the forward writes the slope beside the output and the backward is
// one multiply. Kept apart from torch so that this file alone is built for AVX2 with FMA.
#pragma once

#include <cstdint>

namespace mae {

// out[i] = x Phi(x) (the exact, erf form of GELU) and slope[i] = Phi(x) + x phi(x), its
// derivative, for i < n. erf is the Abramowitz-Stegun 7.1.26 form that torch's CPU GELU uses
// (absolute error below 1.5e-7).
// Built for AVX2 with FMA, and for AVX-512F (16 values a vector).
void gelu_with_slope_avx2(const float* x, float* out, float* slope, int64_t n);
void gelu_with_slope_avx512(const float* x, float* out, float* slope, int64_t n);

}  // namespace mae
