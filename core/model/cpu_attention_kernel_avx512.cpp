// Why: on a CPU with AVX-512 the attention kernels run on 16-float vectors, two to a 32-float
// strip. Measured on 2 cores, forward and backward together: rgb-small batch 64, 17.7 ms a
// step with AVX2's 8-float vectors, 15.6 ms with these; ViT-B/16 batch 8, 181 ms and 158 ms.
// The same source as the AVX2 set, built again with AVX-512 flags (CMakeLists.txt) under
// its own name.
#define MAE_VEC_FLOATS 16
#define MAE_ATTENTION_KERNELS attention_kernels_avx512
#define MAE_KERNELS_NAME "avx512"
#include "model/cpu_attention_kernel.cpp"  // NOLINT(bugprone-suspicious-include)
