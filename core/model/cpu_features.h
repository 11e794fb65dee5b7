// Why: the CPU kernels are built for AVX2 with FMA and again for AVX-512; these are
// the run-time checks, made once, before a caller chooses them over torch's ops.
#pragma once

#include <cstdlib>
#include <cstring>
#include <string>

namespace mae {

// x86-64 with AVX2 and FMA; false elsewhere.
inline bool avx2_fma_kernels_run_here() {
#if defined(__x86_64__)
  static const bool runs = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return runs;
#else
  return false;
#endif
}

// "" when `asked` is a value MAE_CPU_KERNELS knows (or empty), else a line naming it.
inline std::string cpu_kernels_value_problem(const std::string& asked) {
  if (asked.empty() || asked == "avx2" || asked == "avx512") return "";
  return "MAE_CPU_KERNELS=" + asked + ": it is avx2 or avx512";
}

// x86-64 with AVX-512F, unless MAE_CPU_KERNELS=avx2 asks for the AVX2 kernels (to compare).
inline bool avx512_kernels_run_here() {
#if defined(__x86_64__)
  static const bool runs = [] {
    const char* asked = std::getenv("MAE_CPU_KERNELS");
    return __builtin_cpu_supports("avx512f") && avx2_fma_kernels_run_here() &&
           !(asked && std::strcmp(asked, "avx2") == 0);
  }();
  return runs;
#else
  return false;
#endif
}

}  // namespace mae
