// Why: see gpu_fusions.h.
#include "model/gpu_fusions.h"

#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include "model/gpu_attention_kernels.h"

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

std::string describe_gpu_kernels(int index) {
#ifdef MAE_HAVE_CUDA_KERNELS
  if (index < 0) index = at::cuda::current_device();
#endif
  std::string fusions;
  if (!our_cuda_kernels_run_on(index)) {
    fusions = "none (our kernels are not built, or need compute capability 8.0)";
  } else {
    // The bias kernel takes the casts' bf16 weights, and the GELU pass is the bias kernel's.
    const bool casts = gpu_fusion_on(GpuFusion::casts);
    const bool bias = casts && gpu_fusion_on(GpuFusion::bias);
    const std::pair<GpuFusion, bool> all[] = {
        {GpuFusion::norm, gpu_fusion_on(GpuFusion::norm)},
        {GpuFusion::casts, casts},
        {GpuFusion::bias, bias},
        {GpuFusion::qkv, gpu_fusion_on(GpuFusion::qkv)},
        {GpuFusion::gelu, bias && gpu_fusion_on(GpuFusion::gelu)}};
    std::string on, off;
    for (const auto& [fusion, runs] : all) (runs ? on : off) += std::string(" ") + name_of(fusion);
    fusions = (on.empty() ? std::string(" none") : on) + (off.empty() ? "" : ", left out:" + off);
    fusions.erase(0, 1);
  }
  return "GPU fusions: " + fusions + "; attention kernels: " + gpu_attention_kernel_choice();
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
