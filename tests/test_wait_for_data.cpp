// Why: what counts as waiting for data decides the "loader falls behind" note, and on a GPU the
// wait overlaps the device's work. A simulated device and loader on a made-up clock give exact
// answers where real threads would give timings.
#include <doctest/doctest.h>

#include <chrono>

#include "train/wait_for_data.h"

using mae::DataWaitProbes;
using namespace std::chrono_literals;

namespace {
// A device busy until `busy_until` and a batch there at `data_at`, in ms of a made-up clock
// that each probe moves on.
struct Simulated {
  Simulated(double busy_until_ms, double data_at_ms)
      : busy_until(busy_until_ms), data_at(data_at_ms) {}
  double busy_until, data_at, t = 0;
  int data_polls = 0;
  DataWaitProbes probes() {
    return {[this](std::chrono::milliseconds poll) {
              ++data_polls;
              if (data_at <= t + static_cast<double>(poll.count())) {
                t = std::max(t, data_at);
                return true;
              }
              t += static_cast<double>(poll.count());
              return false;
            },
            [this] { return t < busy_until; },
            [this] {
              return DataWaitProbes::Clock::time_point{} +
                     std::chrono::duration_cast<DataWaitProbes::Clock::duration>(
                         std::chrono::duration<double, std::milli>(t));
            }};
  }
  double idle_ms() {
    return std::chrono::duration<double, std::milli>(mae::wait_for_data(probes())).count();
  }
};
}  // namespace

TEST_CASE("a wait for data counts only while the device has nothing to do") {
  SUBCASE("a loader that keeps pace with the device: the batch comes before the step ends") {
    Simulated run(25, 24);
    CHECK(run.idle_ms() == 0.0);
    CHECK(run.t == 24.0);  // it did wait for the batch
  }
  SUBCASE("a loader behind the device: the wait past the step's end") {
    Simulated run(10, 30);
    const double idle = run.idle_ms();
    CHECK(idle >= 19.0);
    CHECK(idle <= 20.0);
  }
  SUBCASE("nothing queued (the CPU, or a step already done): the whole wait") {
    Simulated run(0, 30);
    CHECK(run.idle_ms() == 30.0);
  }
  SUBCASE("the batch already there: no wait") {
    Simulated run(50, 0);
    CHECK(run.idle_ms() == 0.0);
    CHECK(run.t == 0.0);
  }
}

TEST_CASE("a wait for data polls the device only while it is busy") {
  Simulated run(10, 1000);
  const double idle = run.idle_ms();
  CHECK(idle >= 990.0);
  CHECK(idle <= 991.0);
  // 10 polls of 1 ms while the step runs, then slices of 100 ms, not 990 more polls.
  CHECK(run.data_polls <= 10 + 11);
}
