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

// Each lane and its partner `half` lanes away, swapped within every 2 * half lanes.
#if MAE_VEC_FLOATS == 16
#define MAE_SWAP_HALVES(v, h)                                                                  \
  __builtin_shufflevector(v, v, 0 ^ h, 1 ^ h, 2 ^ h, 3 ^ h, 4 ^ h, 5 ^ h, 6 ^ h, 7 ^ h, 8 ^ h, \
                          9 ^ h, 10 ^ h, 11 ^ h, 12 ^ h, 13 ^ h, 14 ^ h, 15 ^ h)
#else
#define MAE_SWAP_HALVES(v, h) \
  __builtin_shufflevector(v, v, 0 ^ h, 1 ^ h, 2 ^ h, 3 ^ h, 4 ^ h, 5 ^ h, 6 ^ h, 7 ^ h)
#endif

// The lanes combined by `op` in log2(kVec) steps of whole-register shuffles: a reduction
// through memory, lane by lane, stalls on the store it reads and chains kVec dependent steps
// (half of a softmax row's time at 50 tokens).
template <class Op>
static inline float fold_lanes(Vec v, Op op) {
#if MAE_VEC_FLOATS == 16
  v = op(v, MAE_SWAP_HALVES(v, 8));
#endif
  v = op(v, MAE_SWAP_HALVES(v, 4));
  v = op(v, MAE_SWAP_HALVES(v, 2));
  v = op(v, MAE_SWAP_HALVES(v, 1));
  return v[0];
}
#undef MAE_SWAP_HALVES

static inline float lane_sum(Vec v) {
  return fold_lanes(v, [](Vec a, Vec b) { return a + b; });
}

// The largest lane; a NaN lane may or may not win.
static inline float largest_lane(Vec v) {
  return fold_lanes(v, [](Vec a, Vec b) { return a > b ? a : b; });
}

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
