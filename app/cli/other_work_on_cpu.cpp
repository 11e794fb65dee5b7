// Why: readings closer together than a few tenths of a second measure noise, and a line
// repeated every 30 s would bury the progress: this reads on a timer and speaks once.
#include "other_work_on_cpu.h"

#include <cstdio>
#include <thread>

namespace mae::cli {

void OtherWorkOnCpu::say_if_busy(double min_seconds, StatusLine* status) {
  if (said_) return;
  const auto now = std::chrono::steady_clock::now();
  const double wall_s = std::chrono::duration<double>(now - at_).count();
  if (wall_s < min_seconds) return;
  const auto times = cpu_times_now();
  if (since_ && times) {
    if (const double busy = cores_busy_elsewhere(*since_, *times, wall_s); busy >= 0.75) {
      if (status) status->finish();
      std::fprintf(stderr,
                   "other work keeps %.1f of this CPU's %u cores busy: --adapt-threads may "
                   "train faster beside it\n",
                   busy, std::thread::hardware_concurrency());
      said_ = true;
    }
  }
  since_ = times;
  at_ = now;
}

}  // namespace mae::cli
