// Why: the device is polled only until it runs out of work; from then on the wait is idle time
// whatever else happens, and blocks in longer slices.
#include "train/wait_for_data.h"

#include <optional>

namespace mae {

DataWaitProbes::Clock::duration wait_for_data(const DataWaitProbes& probes,
                                              std::chrono::milliseconds poll) {
  constexpr std::chrono::milliseconds kIdleSlice{100};
  std::optional<DataWaitProbes::Clock::time_point> idle_from;
  if (!probes.device_busy()) idle_from = probes.now();
  while (!probes.data_within(idle_from ? kIdleSlice : poll))
    if (!idle_from && !probes.device_busy()) idle_from = probes.now();
  return idle_from ? probes.now() - *idle_from : DataWaitProbes::Clock::duration::zero();
}

}  // namespace mae
