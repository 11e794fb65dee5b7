// Why: the Training form shows what its run needs beside what the device has free, on every
// frame. The free figure moves slowly, and reading it (/proc/meminfo and the cgroup's files,
// or the GPU driver) sixty times a second is work the frame does not need: it is read again
// once a second, or at once when the form's device changes.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace mae::studio {

class FreeMemoryGauge {
 public:
  int64_t bytes_free(const std::string& device);

 private:
  std::string device_;
  int64_t bytes_ = 0;
  std::chrono::steady_clock::time_point read_at_{};
};

}  // namespace mae::studio
