// Why: the qkv gradient stack's kernel, compiled as C++ against the emulated runtime beside
// this file, for tests/test_cuda_kernels_emulated.cpp.
#include "model/cuda_qkv_grads.cu"
