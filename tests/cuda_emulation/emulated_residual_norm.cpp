// Why: the fused LayerNorm kernels, compiled as C++ against the emulated runtime beside this
// file, for tests/test_cuda_kernels_emulated.cpp.
#include "model/cuda_residual_norm.cu"
