// Why: on a CPU with AVX-512 the one-pass GELU runs on 16-float vectors. The same source as
// the AVX2 build, built again with AVX-512 flags (CMakeLists.txt) under its own name.
#define MAE_VEC_FLOATS 16
#define MAE_GELU_WITH_SLOPE gelu_with_slope_avx512
#include "model/cpu_gelu_kernel.cpp"  // NOLINT(bugprone-suspicious-include)
