// Why: the busy-CPU hint of `mae train` reads the kernel's counters; these cases pin which
// of /proc/stat's fields count as busy, that a malformed line gives nothing, and that this
// process's own time is not counted as another's.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "util/cpu_load.h"

using namespace mae;

TEST_CASE("the machine's busy time is /proc/stat's cpu line less idle and iowait") {
  // user nice system idle iowait irq softirq steal guest guest_nice, in ticks of 100 a second
  const auto busy = machine_busy_seconds("cpu  400 100 200 9000 300 20 30 50 0 0", 100);
  REQUIRE(busy.has_value());
  CHECK(*busy == doctest::Approx(8.0));  // 400 + 100 + 200 + 20 + 30 + 50 ticks
  CHECK_FALSE(machine_busy_seconds("cpu0 1 2 3 4 5 6 7 8", 100).has_value());
  CHECK_FALSE(machine_busy_seconds("cpu  1 2 3", 100).has_value());
  CHECK_FALSE(machine_busy_seconds("", 100).has_value());
}

TEST_CASE("other processes' busy cores are the machine's busy time less this process's") {
  const CpuTimes before{100.0, 10.0}, after{103.0, 11.0};  // 3 s busy, 1 s of it ours, in 2 s
  CHECK(cores_busy_elsewhere(before, after, 2.0) == doctest::Approx(1.0));
  CHECK(cores_busy_elsewhere(before, CpuTimes{100.5, 11.0}, 1.0) == 0);  // never below none
  CHECK(cores_busy_elsewhere(before, after, 0) == 0);
  // Read here: this process busy for a while is not counted as another's.
  const auto first = cpu_times_now();
  REQUIRE(first.has_value());
  const auto start = std::chrono::steady_clock::now();
  volatile double sink = 0;
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(300)) sink = sink + 1;
  const auto second = cpu_times_now();
  REQUIRE(second.has_value());
  CHECK(second->own_s - first->own_s > 0.2);
  CHECK(second->machine_busy_s >= first->machine_busy_s);
}
