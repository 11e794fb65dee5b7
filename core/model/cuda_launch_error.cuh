// Why: every launch of our CUDA kernels reports the same way: the error the launch left, as
// text for the caller's message, or an empty string.
#pragma once

#include <cuda_runtime.h>

namespace mae {

inline const char* cuda_launch_error() {
  const cudaError_t e = cudaGetLastError();
  return e == cudaSuccess ? "" : cudaGetErrorString(e);
}

}  // namespace mae
