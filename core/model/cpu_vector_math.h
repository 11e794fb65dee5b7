// Why: the CPU kernels (attention, GELU) share one vector type and one e^x. Built into a file
// compiled for AVX2 with FMA, each Vec is 8 floats, one register, and each multiply-add one
// instruction; a file built for AVX-512 defines MAE_VEC_FLOATS as 16 first. The functions are
// static so that each kernel file keeps its own copy, built with its own flags: the linker
// never hands an AVX2 or AVX-512 copy to a file built without it.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace mae::cpu_vec {

#ifndef MAE_VEC_FLOATS
#define MAE_VEC_FLOATS 8
#endif
// MAE_VEC_FLOATS floats as one value (GCC's and clang's vector extension): 8 make one AVX
// register, 16 one AVX-512 register.
constexpr int64_t kVec = MAE_VEC_FLOATS;
using Vec = float __attribute__((vector_size(kVec * sizeof(float))));
using VecBits = uint32_t __attribute__((vector_size(kVec * sizeof(float))));

static inline Vec load(const float* p) {
  Vec v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

static inline void store(float* p, Vec v) { std::memcpy(p, &v, sizeof(v)); }

// e^x for x <= 0 (a softmax's exponents after its maximum is taken away, GELU's e^(-x^2/2)),
// a vector at a time: Cody-Waite reduction to r in [-ln2/2, ln2/2] around n = round(x / ln2)
// (rounded by adding and taking away 1.5 * 2^23), Cephes' degree-6 polynomial for e^r, and
// 2^n put in the exponent bits (read from the mantissa of n + 127 + 2^23, so no float-to-int
// conversion and a NaN stays a NaN). Within 2 ulp of expf; below -87.3 it gives e^-87.3
// (1.2e-38) instead of a denormal.
static inline Vec exp_nonpositive(Vec x) {
  x = x < -87.3365f ? Vec{} - 87.3365f : x;
  const Vec n = (x * 1.44269504f + 12582912.f) - 12582912.f;
  const Vec r = x - n * 0.693359375f + n * 2.12194440e-4f;
  Vec p = 1.9875691500e-4f * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const Vec e_r = p * r * r + r + 1.0f;
  const VecBits biased = std::bit_cast<VecBits>(n + 8388735.0f) & 0x7fffffu;
  const VecBits two_n = biased << 23;
  return e_r * std::bit_cast<Vec>(two_n);
}

}  // namespace mae::cpu_vec
