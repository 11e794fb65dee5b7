// Why: the emulated kernel tests (tests/test_emulated_*.cpp) draw the same kinds of inputs
// and judge outputs the same way: against references written out in double precision, within
// one bf16 rounding where the kernel rounds.
#pragma once

#include <cuda_bf16.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <type_traits>
#include <vector>

namespace emulated {

inline std::vector<float> normal(size_t n, uint32_t seed, float scale = 1.f, float shift = 0.f) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist;
  std::vector<float> v(n);
  for (auto& x : v) x = shift + scale * dist(gen);
  return v;
}

inline std::vector<__nv_bfloat16> to_bf16(const std::vector<float>& v) {
  std::vector<__nv_bfloat16> out(v.size());
  std::transform(v.begin(), v.end(), out.begin(), __float2bfloat16_rn);
  return out;
}

inline float as_float(__nv_bfloat16 v) { return __bfloat162float(v); }

// The largest difference over the largest reference value.
template <class Got>
double relative_gap(const std::vector<Got>& got, const std::vector<double>& want) {
  double gap = 0, scale = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    double value;
    if constexpr (std::is_same_v<Got, __nv_bfloat16>)
      value = as_float(got[i]);
    else
      value = got[i];
    gap = std::max(gap, std::abs(value - want[i]));
    scale = std::max(scale, std::abs(want[i]));
  }
  return gap / scale;
}

// How many of `got` are more than one bf16 step (2^-8 relative) from `want`.
inline size_t beyond_one_bf16_step(const std::vector<__nv_bfloat16>& got,
                                   const std::vector<double>& want) {
  size_t count = 0;
  for (size_t i = 0; i < want.size(); ++i)
    if (std::abs(as_float(got[i]) - want[i]) > std::ldexp(std::abs(want[i]), -8) + 1e-30) ++count;
  return count;
}

}  // namespace emulated
