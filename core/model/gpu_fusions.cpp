// Why: see gpu_fusions.h.
#include "model/gpu_fusions.h"

#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>

#ifdef MAE_HAVE_CUDA_KERNELS
#include <ATen/cuda/CUDAContext.h>
#endif

namespace mae {

namespace {
const char* name_of(GpuFusion fusion) {
  switch (fusion) {
    case GpuFusion::norm:
      return "norm";
    case GpuFusion::casts:
      return "casts";
    case GpuFusion::bias:
      return "bias";
    case GpuFusion::qkv:
      return "qkv";
    case GpuFusion::gelu:
      return "gelu";
  }
  return "";
}
}  // namespace

bool gpu_fusion_on(GpuFusion fusion) {
  const char* unfused = std::getenv("MAE_UNFUSED");
  if (!unfused) return true;
  std::istringstream names(unfused);
  for (std::string name; std::getline(names, name, ',');)
    if (name == "all" || name == name_of(fusion)) return false;
  return true;
}

void check_kernel_launch(const char* kernel, const char* error) {
  if (*error) throw std::runtime_error(std::string("the ") + kernel + " kernel failed: " + error);
}

bool our_cuda_kernels_run_on(int index) {
#ifdef MAE_HAVE_CUDA_KERNELS
  return index >= 0 &&
         at::cuda::getDeviceProperties(static_cast<c10::DeviceIndex>(index))->major >= 8;
#else
  (void)index;
  return false;
#endif
}

}  // namespace mae
