// Why: MAE_UNFUSED is read at each call rather than cached, so one process (a test, a benchmark)
// can time a step with and without a fusion; a fusion is off whenever the one it builds on is.
#include "model/gpu_fusions.h"

#include <cstdlib>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

#include "model/gpu_attention_kernels.h"

#ifdef MAE_HAVE_CUDA_KERNELS
#include <ATen/cuda/CUDAContext.h>
#endif

namespace mae {

namespace {
constexpr GpuFusion kFusions[] = {GpuFusion::norm, GpuFusion::casts, GpuFusion::bias,
                                  GpuFusion::qkv, GpuFusion::gelu};

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

// The fusion whose output this one takes: the bias kernel takes the casts' bf16 weights, and
// the GELU pass is the bias kernel's.
std::optional<GpuFusion> builds_on(GpuFusion fusion) {
  if (fusion == GpuFusion::bias) return GpuFusion::casts;
  if (fusion == GpuFusion::gelu) return GpuFusion::bias;
  return std::nullopt;
}

// Whether the MAE_UNFUSED value `unfused` names `fusion`, or "all".
bool named_in(const char* unfused, GpuFusion fusion) {
  std::istringstream names(unfused);
  for (std::string name; std::getline(names, name, ',');)
    if (name == "all" || name == name_of(fusion)) return true;
  return false;
}
}  // namespace

std::string unfused_value_problem(const std::string& unfused) {
  std::istringstream names(unfused);
  for (std::string name; std::getline(names, name, ',');) {
    bool known = name == "all";
    for (const auto fusion : kFusions) known = known || name == name_of(fusion);
    if (!known)
      return "MAE_UNFUSED=" + unfused + ": \"" + name +
             "\" is none of norm, casts, bias, qkv, gelu, all";
  }
  return "";
}

bool gpu_fusion_on(GpuFusion fusion) {
  const char* unfused = std::getenv("MAE_UNFUSED");
  if (!unfused || !unfused_value_problem(unfused).empty()) return true;
  for (std::optional<GpuFusion> link = fusion; link; link = builds_on(*link))
    if (named_in(unfused, *link)) return false;
  return true;
}

std::string describe_gpu_fusions() {
  std::string on, off;
  for (const auto fusion : kFusions)
    (gpu_fusion_on(fusion) ? on : off) += std::string(" ") + name_of(fusion);
  std::string line =
      (on.empty() ? std::string(" none") : on) + (off.empty() ? "" : ", left out:" + off);
  return line.substr(1);
}

std::string describe_gpu_kernels(int index) {
#ifdef MAE_HAVE_CUDA_KERNELS
  if (index < 0) index = at::cuda::current_device();
#endif
  const std::string fusions =
      our_cuda_kernels_run_on(index)
          ? describe_gpu_fusions()
          : "none (our kernels are not built, or need compute capability 8.0)";
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
