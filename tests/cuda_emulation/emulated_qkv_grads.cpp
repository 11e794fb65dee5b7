// Why: the qkv gradient stack's kernel, compiled as C++ against the emulated runtime beside
// this file, for the tests/test_emulated_*.cpp cases.
#include "model/cuda_qkv_grads.cu"
