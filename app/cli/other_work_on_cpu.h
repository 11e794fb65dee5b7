// Why: on a CPU shared with other busy processes, training on every thread can run several
// times slower than on fewer (--adapt-threads); a run that does not adapt says when the
// machine is busy, once, so that the user knows the flag is worth trying.
#pragma once

#include <chrono>
#include <optional>

#include "status_line.h"
#include "util/cpu_load.h"

namespace mae::cli {

// Other processes' use of the CPU from one reading to the next, said once where they keep 0.75
// cores or more busy. Read over the run's setup, then every 30 s, so that a load that comes
// later is said too.
class OtherWorkOnCpu {
 public:
  // Reads again once `min_seconds` have passed since the last reading, and says it, after
  // `status`'s line, where the load is there.
  void say_if_busy(double min_seconds, StatusLine* status = nullptr);

 private:
  std::optional<CpuTimes> since_ = cpu_times_now();
  std::chrono::steady_clock::time_point at_ = std::chrono::steady_clock::now();
  bool said_ = false;
};

}  // namespace mae::cli
