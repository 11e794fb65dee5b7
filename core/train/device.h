// Why: the few device facts the trainer and benchmarks need (is CUDA there, how much memory
// is in use, bf16 autocast) without spreading CUDA headers through core.
#pragma once

#include <c10/core/DeviceType.h>

#include <cstdint>
#include <memory>
#include <string>

namespace mae {

// Validates "cpu" / "cuda" / "cuda:N" and turns "auto" (every command's default) into "cuda"
// when a GPU is there, else "cpu"; throws std::invalid_argument with a helpful message.
std::string resolve_device(const std::string& requested);
// One line saying what a resolved device is: "cpu (2 threads)" (with ", float32 products by
// oneDNN" where cpu_products.h chooses it), or
// "cuda:0 (NVIDIA H200, 131.2 of 139.8 GiB free)".
std::string describe_device(const std::string& device);
bool cuda_available();
// GPUs this process can see (0 without CUDA).
int cuda_device_count();
// The CPU's bfloat16 matrix units, with which --cpu-bf16 pays most: "AMX", "AVX-512 BF16",
// or "" where it has none (there bf16 products are emulated, and may not pay).
std::string cpu_bf16_units();

// Current resident memory of the process (CPU) or allocated bytes on the GPU.
int64_t memory_in_use(const std::string& device);
// Peak of the above since the start of the process, or the last reset (GPU).
int64_t peak_memory(const std::string& device);
void reset_peak_memory(const std::string& device);
// Bytes this process could still take on the device: on the CPU the kernel's MemAvailable,
// or less where a cgroup limits the process; on a GPU its free memory plus what torch's
// caching allocator holds unused.
int64_t memory_available(const std::string& device);
// Waits for queued GPU work (benchmarks only); no-op on the CPU.
void synchronize(const std::string& device);

// Enables bf16 autocast for the device's type ("cpu", "cuda:1") in this scope (no-op when
// `enable` is false); the cast weights are dropped when the scope ends, every iteration.
class AutocastScope {
 public:
  AutocastScope(const std::string& device, bool enable);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool enabled_;
  c10::DeviceType type_;
};

// On a CUDA device, this thread's GPU work in the scope goes to a stream of its own, after
// what the thread had queued before and ahead of what it queues after. The trainer and the
// app's inference worker each take one, so a slider request does not queue behind a
// training step on the default stream; `urgent` asks for a high-priority stream, whose
// kernels the GPU schedules first. No-op on the CPU.
class DeviceStreamScope {
 public:
  DeviceStreamScope(const std::string& device, bool urgent);
  ~DeviceStreamScope();
  DeviceStreamScope(const DeviceStreamScope&) = delete;
  DeviceStreamScope& operator=(const DeviceStreamScope&) = delete;

 private:
  struct Streams;
  std::unique_ptr<Streams> streams_;
};

}  // namespace mae
