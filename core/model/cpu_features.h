// Why: the CPU kernels are built for AVX2 with FMA; this is the one run-time check, made once,
// before a caller chooses them over torch's ops.
#pragma once

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

}  // namespace mae
