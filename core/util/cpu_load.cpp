// Why: the busy cores outside this process, from two readings, with nothing but the kernel's
// counters: a hint that costs no time of its own.
#include "util/cpu_load.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace mae {

std::optional<double> machine_busy_seconds(const std::string& proc_stat, double ticks_per_second) {
  std::istringstream in(proc_stat);
  std::string label;
  in >> label;
  if (label != "cpu" || ticks_per_second <= 0) return std::nullopt;
  // user nice system idle iowait irq softirq steal
  double field[8] = {};
  for (double& f : field)
    if (!(in >> f)) return std::nullopt;
  const double busy = field[0] + field[1] + field[2] + field[5] + field[6] + field[7];
  return busy / ticks_per_second;
}

std::optional<CpuTimes> cpu_times_now() {
  std::ifstream file("/proc/stat");
  std::string line;
  if (!std::getline(file, line)) return std::nullopt;
  const auto machine = machine_busy_seconds(line, static_cast<double>(sysconf(_SC_CLK_TCK)));
  rusage own{};
  if (!machine || getrusage(RUSAGE_SELF, &own) != 0) return std::nullopt;
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return CpuTimes{*machine, seconds(own.ru_utime) + seconds(own.ru_stime)};
}

double cores_busy_elsewhere(const CpuTimes& before, const CpuTimes& after, double wall_s) {
  if (wall_s <= 0) return 0;
  const double others =
      (after.machine_busy_s - before.machine_busy_s) - (after.own_s - before.own_s);
  return std::max(0.0, others / wall_s);
}

}  // namespace mae
