// Why: the bias-gradient kernels, compiled as C++ against the emulated runtime beside this
// file, for tests/test_cuda_kernels_emulated.cpp.
#include "model/cuda_bias_grad.cu"
