// Why: keeps the device query out of free_memory_gauge.h, which the app's header includes.
#include "free_memory_gauge.h"

#include "train/device.h"

namespace mae::studio {

int64_t FreeMemoryGauge::bytes_free(const std::string& device) {
  const auto now = std::chrono::steady_clock::now();
  if (device != device_ || now - read_at_ >= std::chrono::seconds(1)) {
    bytes_ = memory_available(device);
    device_ = device;
    read_at_ = now;
  }
  return bytes_;
}

}  // namespace mae::studio
