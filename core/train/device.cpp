// Why: CUDA-only calls are compiled only when LibTorch has CUDA.
#include "train/device.h"

#include <ATen/autocast_mode.h>
#include <torch/cuda.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "model/cpu_products.h"
#include "util/intra_op_threads.h"

#ifdef MAE_HAVE_CUDA
#include <ATen/Context.h>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>

#include "train/stream_order.h"
#endif

namespace mae {

bool cuda_available() { return torch::cuda::is_available(); }

int cuda_device_count() { return static_cast<int>(torch::cuda::device_count()); }

std::string cpu_bf16_units() {
#if defined(__x86_64__)
  // CPUID leaf 7: AMX-BF16 is bit 22 of EDX in sub-leaf 0, AVX512_BF16 bit 5 of EAX in sub-leaf 1.
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (d & (1u << 22))) return "AMX";
  if (__get_cpuid_count(7, 1, &a, &b, &c, &d) && (a & (1u << 5))) return "AVX-512 BF16";
#endif
  return "";
}

std::string resolve_device(const std::string& requested) {
  if (requested == "auto") return cuda_available() ? "cuda" : "cpu";
  if (requested == "cpu") return requested;
  if (requested.rfind("cuda", 0) == 0) {
    if (!cuda_available())
      throw std::invalid_argument("device '" + requested +
                                  "' requested but no CUDA GPU is available; use --device cpu");
    return requested;
  }
  throw std::invalid_argument("unknown device '" + requested + "' (auto, cpu or cuda)");
}

std::string describe_device(const std::string& device) {
  if (device == "cpu")
    return "cpu (" + std::to_string(default_intra_op_threads()) + " threads" +
           (cpu_gemm() == CpuGemm::OneDnn ? ", float32 products by oneDNN)" : ")");
#ifdef MAE_HAVE_CUDA
  const auto index =
      at::Device(device).has_index() ? at::Device(device).index() : c10::cuda::current_device();
  const auto* properties = at::cuda::getDeviceProperties(index);
  const auto [free, total] = c10::cuda::CUDACachingAllocator::get()->getMemoryInfo(index);
  char memory[64];
  std::snprintf(memory, sizeof memory, "%.1f of %.1f GiB free",
                static_cast<double>(free) / (1 << 30), static_cast<double>(total) / (1 << 30));
  return "cuda:" + std::to_string(index) + " (" + properties->name + ", " + memory + ")";
#else
  return device + " (this build has no CUDA)";
#endif
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

// A "key: N kB" line of /proc/meminfo, in bytes; -1 when absent.
int64_t meminfo_bytes(const std::string& field) {
  std::ifstream in("/proc/meminfo");
  std::string key;
  int64_t value = 0;
  while (in >> key >> value) {
    if (key == field) return value * 1024;
    in.ignore(1 << 12, '\n');
  }
  return -1;
}

// A number in a cgroup v2 file, or -1 ("max", or no such file).
int64_t cgroup_number(const char* file) {
  std::ifstream in(std::string("/sys/fs/cgroup/") + file);
  std::string text;
  if (!(in >> text) || text == "max") return -1;
  try {
    return std::stoll(text);
  } catch (const std::exception&) {
    return -1;
  }
}
}  // namespace

#ifdef MAE_HAVE_CUDA
namespace {
// The caching allocator's statistics exist once CUDA is initialised, which the first CUDA tensor
// does; asked before that (a batch checked against free memory before anything is allocated),
// they throw "Invalid device argument".
c10::CachingDeviceAllocator::DeviceStats allocator_stats(c10::DeviceIndex index) {
  at::globalContext().lazyInitDevice(at::kCUDA);
  return c10::cuda::CUDACachingAllocator::getDeviceStats(index);
}
}  // namespace
#endif

int64_t memory_available(const std::string& device) {
#ifdef MAE_HAVE_CUDA
  if (device != "cpu") {
    const auto index =
        at::Device(device).has_index() ? at::Device(device).index() : c10::cuda::current_device();
    const auto [free, total] = c10::cuda::CUDACachingAllocator::get()->getMemoryInfo(index);
    const auto stats = allocator_stats(index);
    return static_cast<int64_t>(free) + stats.reserved_bytes[0].current -
           stats.allocated_bytes[0].current;
  }
#endif
  int64_t available = meminfo_bytes("MemAvailable:");
  const int64_t limit = cgroup_number("memory.max"), used = cgroup_number("memory.current");
  if (limit > 0 && used >= 0)
    available = available < 0 ? limit - used : std::min(available, limit - used);
  return std::max<int64_t>(0, available);
}

int64_t memory_in_use(const std::string& device) {
#ifdef MAE_HAVE_CUDA
  if (device != "cpu") {
    return allocator_stats(c10::cuda::current_device()).allocated_bytes[0].current;
  }
#endif
  return read_status_kib("VmRSS:");
}

int64_t peak_memory(const std::string& device) {
#ifdef MAE_HAVE_CUDA
  if (device != "cpu") {
    return allocator_stats(c10::cuda::current_device()).allocated_bytes[0].peak;
  }
#endif
  return read_status_kib("VmHWM:");
}

void reset_peak_memory(const std::string& device) {
#ifdef MAE_HAVE_CUDA
  if (device == "cpu") return;
  at::globalContext().lazyInitDevice(at::kCUDA);
  c10::cuda::CUDACachingAllocator::resetPeakStats(c10::cuda::current_device());
#endif
}

void synchronize(const std::string& device) {
  if (device != "cpu") torch::cuda::synchronize();
}

AutocastScope::AutocastScope(const std::string& device, bool enable)
    : enabled_(enable), type_(at::Device(device).type()) {
  if (!enabled_) return;
  at::autocast::set_autocast_dtype(type_, at::kBFloat16);
  at::autocast::set_autocast_enabled(type_, true);
}

AutocastScope::~AutocastScope() {
  if (!enabled_) return;
  at::autocast::set_autocast_enabled(type_, false);
  at::autocast::clear_cache();
}

#ifdef MAE_HAVE_CUDA
struct DeviceStreamScope::Streams {
  Streams(c10::cuda::CUDAStream b, c10::cuda::CUDAStream o) : before(b), own(o), guard(o) {}
  c10::cuda::CUDAStream before;
  c10::cuda::CUDAStream own;
  c10::cuda::CUDAStreamGuard guard;
};

DeviceStreamScope::DeviceStreamScope(const std::string& device, bool urgent) {
  const at::Device d(device);
  if (!d.is_cuda()) return;
  const auto index = d.has_index() ? d.index() : c10::cuda::current_device();
  auto before = c10::cuda::getCurrentCUDAStream(index);
  auto own = c10::cuda::getStreamFromPool(urgent, index);
  order_after(before, own);
  streams_ = std::make_unique<Streams>(before, own);
}

DeviceStreamScope::~DeviceStreamScope() {
  if (streams_) order_after(streams_->own, streams_->before);
}
#else
struct DeviceStreamScope::Streams {};
DeviceStreamScope::DeviceStreamScope(const std::string& device, bool urgent) {
  if (at::Device(device).is_cuda())
    throw std::invalid_argument("'" + device + "' requested but this build has no CUDA");
  (void)urgent;
}
DeviceStreamScope::~DeviceStreamScope() = default;
#endif

}  // namespace mae
