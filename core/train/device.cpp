// Why: see device.h. CUDA-only calls are compiled only when LibTorch has CUDA.
#include "train/device.h"

#include <ATen/autocast_mode.h>
#include <torch/cuda.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

#ifdef MAE_HAVE_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#endif

namespace mae {

bool cuda_available() { return torch::cuda::is_available(); }

std::string resolve_device(const std::string& requested) {
  if (requested == "cpu") return requested;
  if (requested.rfind("cuda", 0) == 0) {
    if (!cuda_available())
      throw std::invalid_argument("device '" + requested +
                                  "' requested but no CUDA GPU is available; use --device cpu");
    return requested;
  }
  throw std::invalid_argument("unknown device '" + requested + "' (cpu or cuda)");
}

namespace {
int64_t read_status_kib(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string key;
  int64_t value = 0;
  while (in >> key) {
    if (key == field) {
      in >> value;
      return value * 1024;
    }
    in.ignore(1 << 12, '\n');
  }
  return 0;
}
}  // namespace

int64_t memory_in_use(const std::string& device) {
#ifdef MAE_HAVE_CUDA
  if (device != "cpu") {
    auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(c10::cuda::current_device());
    return stats.allocated_bytes[0].current;
  }
#endif
  return read_status_kib("VmRSS:");
}

int64_t peak_memory(const std::string& device) {
#ifdef MAE_HAVE_CUDA
  if (device != "cpu") {
    auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(c10::cuda::current_device());
    return stats.allocated_bytes[0].peak;
  }
#endif
  return read_status_kib("VmHWM:");
}

void reset_peak_memory(const std::string& device) {
#ifdef MAE_HAVE_CUDA
  if (device != "cpu") c10::cuda::CUDACachingAllocator::resetPeakStats(c10::cuda::current_device());
#endif
}

void synchronize(const std::string& device) {
  if (device != "cpu") torch::cuda::synchronize();
}

AutocastScope::AutocastScope(bool enable) : enabled_(enable) {
  if (!enabled_) return;
  at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
  at::autocast::set_autocast_enabled(at::kCUDA, true);
}

AutocastScope::~AutocastScope() {
  if (!enabled_) return;
  at::autocast::set_autocast_enabled(at::kCUDA, false);
  at::autocast::clear_cache();
}

}  // namespace mae
