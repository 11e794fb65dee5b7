// Why: on a GPU the trainer awaits the next batch while the device still runs the step it has
// just queued. The loader's time then costs nothing; only the part of the wait after the device
// has run out of work leaves it idle. Counted whole, the wait called a loader that keeps pace
// with the GPU a bottleneck (a 24 ms batch beside a 25 ms step read as 96 % data wait).
#pragma once

#include <chrono>
#include <functional>

namespace mae {

struct DataWaitProbes {
  using Clock = std::chrono::steady_clock;
  // Waits at most `poll` for the data; true once it is there.
  std::function<bool(std::chrono::milliseconds poll)> data_within;
  // Whether the device still has queued work; never, on the CPU, whose thread is the one
  // waiting.
  std::function<bool()> device_busy;
  std::function<Clock::time_point()> now = [] { return Clock::now(); };
};

// Waits for the data, checking the device every `poll` while it is busy, and returns how long
// of the wait the device had nothing to do (to within one poll).
DataWaitProbes::Clock::duration wait_for_data(
    const DataWaitProbes& probes, std::chrono::milliseconds poll = std::chrono::milliseconds(1));

}  // namespace mae
