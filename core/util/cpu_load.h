// Why: a CPU run beside other busy work is several times slower at full width than on the
// cores left to it (mae train --adapt-threads finds them); the command can say so at the start
// when it sees the CPU already busy. Linux's /proc/stat has the machine's busy time, and
// getrusage the process's own, so what others took in between is their difference.
#pragma once

#include <optional>
#include <string>

namespace mae {

// The CPU time the machine and this process had spent at one moment.
struct CpuTimes {
  double machine_busy_s = 0;  // every core's, all processes'
  double own_s = 0;           // this process's threads'
};
std::optional<CpuTimes> cpu_times_now();

// The busy seconds of the "cpu" line of /proc/stat's text (user, nice, system, irq, softirq
// and steal; idle and iowait are not busy), in clock ticks of `ticks_per_second`.
std::optional<double> machine_busy_seconds(const std::string& proc_stat, double ticks_per_second);

// How many cores other processes kept busy between two readings `wall_s` seconds apart.
double cores_busy_elsewhere(const CpuTimes& before, const CpuTimes& after, double wall_s);

}  // namespace mae
