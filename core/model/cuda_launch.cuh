// Why: every launch of our CUDA kernels goes through one typed call (cudaLaunchKernelEx, not
// the <<<>>> syntax) that reports the same way: the launch's error as text for the caller's
// message, or an empty string. Being plain C++, the kernels' files also compile against
// tests/cuda_emulation, which runs them on the CPU.
#pragma once

#include <cuda_runtime.h>

#include <utility>

namespace mae {

template <class... Params, class... Args>
const char* launch_kernel(void (*kernel)(Params...), dim3 grid, dim3 block, void* stream,
                          Args&&... args) {
  cudaLaunchConfig_t config = {};
  config.gridDim = grid;
  config.blockDim = block;
  config.stream = static_cast<cudaStream_t>(stream);
  const cudaError_t launched = cudaLaunchKernelEx(&config, kernel, std::forward<Args>(args)...);
  const cudaError_t pending = cudaGetLastError();  // read, so that torch's next check is clean
  const cudaError_t error = launched != cudaSuccess ? launched : pending;
  return error == cudaSuccess ? "" : cudaGetErrorString(error);
}

}  // namespace mae
