// Why: one rule for the CLI, the app and the data benchmark, so that all three feed a device
// with the same number of threads.
#include "train/loader_workers.h"

#include <algorithm>
#include <thread>

namespace mae {

int64_t default_loader_workers(const std::string& device, int64_t local_ranks) {
  constexpr int64_t kOnCpu = 2, kMost = 16;
  if (device == "cpu") return kOnCpu;
  const auto cores = static_cast<int64_t>(std::max(1u, std::thread::hardware_concurrency()));
  return std::clamp<int64_t>(cores / std::max<int64_t>(1, local_ranks) - 1, kOnCpu, kMost);
}

}  // namespace mae
