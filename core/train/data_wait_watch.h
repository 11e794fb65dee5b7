// Why: a loader that falls behind leaves the device idle, and the one sign of it is how long
// the trainer waits for its batches. Each step's wait is noisy (a slow first pass, a save), so
// the share is taken over the last steps, and said once, when it holds, not at the first
// slow step.
#pragma once

#include <deque>

namespace mae {

class DataWaitWatch {
 public:
  static constexpr int kSteps = 20;       // the share is over this many steps
  static constexpr int kWarmupSteps = 5;  // not counted: loader starting, kernels loading
  static constexpr double kWarnShare = 0.25;

  void add(double data_wait_ms, double step_ms);
  // Of the last kSteps steps' time (fewer at the start), the share spent waiting for data.
  double share() const;
  // True once per run: the first time kSteps counted steps waited kWarnShare or more.
  bool warn_now();

 private:
  int seen_ = 0;
  bool warned_ = false;
  std::deque<double> wait_ms_, step_ms_;
};

}  // namespace mae
