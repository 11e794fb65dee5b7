// Why: on a CPU that another busy process shares, an OpenMP team as wide as the machine waits
// at each of a step's many barriers for a member the scheduler has put off. On two cores beside
// one busy process a fmnist-tiny step took 0.9 s on two threads and 0.26 s on one (0.13 s with
// the machine to itself). Which is faster changes as other work comes and goes, so the tuner
// learns it from the steps' own times: it tries fewer threads (or one more) for a few steps,
// keeps what was faster, and tries again later, at once when the step time jumps.
#pragma once

#include <chrono>
#include <map>
#include <vector>

namespace mae {

class StepThreadTuner {
 public:
  using Clock = std::chrono::steady_clock;

  // The intra-op threads for the next step: at most `ceiling` (what the caller allows now,
  // which may change from step to step), at least one. `last_step_ms` is how long the step just
  // taken lasted with the threads this gave for it (negative before the first step).
  int threads_for_next_step(int ceiling, double last_step_ms, Clock::time_point now);
  // The threads chosen, trials aside: what to tell the user.
  int settled_threads() const { return threads(fewer_); }

  // Steps per trial after its first (a changed team's first step is not counted), steps of the
  // settled choice compared with it, and how far apart a trial and its comparison must be.
  static constexpr int kTrialSteps = 3;
  static constexpr int kSettledSteps = 5;
  static constexpr double kBetterBy = 0.07;  // a trial is kept when 7 % faster
  static constexpr double kJump = 1.5;       // a step time 1.5 times off its usual: try now
  static constexpr std::chrono::seconds kFirstRetry{10}, kLongestRetry{120};

 private:
  void begin_trial(bool fewer);
  void end_trial(Clock::time_point now);
  int threads(int fewer) const;

  int ceiling_ = 0;
  int fewer_ = 0;              // threads below the ceiling kept now
  int trial_fewer_ = -1;       // the trial's, -1 while none runs
  bool trial_counts_ = false;  // past the trial's first step
  bool next_fewer_ = true;     // the next trial's way: on where the last one won, else back
  // How many threads fewer the next trial that way takes: doubled each time one fails (on a
  // wide machine beside several busy processes, one thread fewer is no faster until enough
  // are given up), back to one when one wins.
  int drop_by_ = 1;
  std::vector<double> settled_ms_, trial_ms_;
  double usual_ms_ = 0;  // the settled choice's median when it was last compared
  Clock::time_point next_trial_{};
  Clock::duration retry_ = kFirstRetry;
  // What was learnt under each ceiling left, for when the caller allows as many threads again:
  // the app's explorer takes a core for a moment at each slider move, and each return began
  // the comparison afresh, with a trial of fewer threads five steps later.
  struct Learnt {
    int fewer = 0;
    double usual_ms = 0;
    Clock::time_point next_trial{};
    Clock::duration retry{};
  };
  std::map<int, Learnt> learnt_;
};

}  // namespace mae
