// Why: the bias-gradient kernels, compiled as C++ against the emulated runtime beside this
// file, for the tests/test_emulated_*.cpp cases.
#include "model/cuda_bias_grad.cu"
