// Why: the tuner decides from step times alone, so it is tried against a simulated machine
// whose step times follow what two cores did here: 130 ms on two threads and 260 ms on one
// with the machine to itself, 900 ms on two and 260 ms on one beside a busy process; and a
// wider machine where every thread past the free cores makes a step four times slower.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <utility>

#include "train/step_thread_tuner.h"

using mae::StepThreadTuner;
using namespace std::chrono_literals;

namespace {

// A run against a simulated machine: `step_ms(threads, seconds since the start)` gives each
// step's time, the tuner the threads.
struct SimulatedRun {
  explicit SimulatedRun(std::function<double(int, double)> machine, int allowed = 2)
      : step_ms(std::move(machine)), ceiling(allowed) {}
  std::function<double(int, double)> step_ms;
  int ceiling;
  StepThreadTuner tuner;
  StepThreadTuner::Clock::time_point now{};
  double seconds = 0, last_ms = -1;
  int last_threads = 0;
  uint32_t noise = 1;

  // One step: its threads.
  int step() {
    const int threads = tuner.threads_for_next_step(ceiling, last_ms, now);
    REQUIRE(threads >= 1);
    REQUIRE(threads <= std::max(1, ceiling));
    noise = noise * 1664525u + 1013904223u;  // +-4 %, and a changed team's first step +30 %
    const double jitter = 0.96 + 0.08 * static_cast<double>(noise >> 8) / (1u << 24);
    last_ms = step_ms(threads, seconds) * jitter * (threads != last_threads ? 1.3 : 1.0);
    last_threads = threads;
    seconds += last_ms / 1000;
    now += std::chrono::microseconds(static_cast<int64_t>(last_ms * 1000));
    return threads;
  }
  // Steps until `until` seconds: how many, how many on `threads`, and their time.
  struct Tally {
    int steps = 0, on = 0;
    double ms = 0;
  };
  Tally run_until(double until, int threads) {
    Tally t;
    while (seconds < until) {
      const double before = seconds;
      t.on += step() == threads;
      ++t.steps;
      t.ms += (seconds - before) * 1000;
    }
    return t;
  }
};

double two_cores(int threads, bool busy) {
  if (threads == 1) return 260;
  return busy ? 900 : 130;
}

}  // namespace

TEST_CASE("on a machine to itself the step keeps every core, trying one fewer rarely") {
  SimulatedRun run{[](int threads, double) { return two_cores(threads, false); }};
  const auto t = run.run_until(600, 2);
  // Ten minutes of 130 ms steps; trials on one thread are a few steps in hundreds.
  CHECK(t.steps > 4000);
  CHECK(t.on > 0.99 * t.steps);
}

TEST_CASE("beside a busy process the step settles on one thread at once, and stays") {
  SimulatedRun run{[](int threads, double) { return two_cores(threads, true); }};
  for (int i = 0; i < 12; ++i) run.step();
  CHECK(run.step() == 1);
  const auto t = run.run_until(600, 1);
  CHECK(t.on > 0.97 * t.steps);
  // Within a few percent of the time one thread alone would have taken.
  CHECK(t.ms < 1.05 * 260 * 1.04 * t.steps);
}

TEST_CASE("the step gives up a core when a busy process comes and takes it back when it goes") {
  // Busy from the first minute to the sixth.
  SimulatedRun run{[](int threads, double s) { return two_cores(threads, s >= 60 && s < 360); }};
  run.run_until(60, 2);
  // The step time jumps: one thread within a dozen steps.
  int steps_to_one = 0;
  while (run.step() != 1) ++steps_to_one;
  CHECK(steps_to_one < 12);
  const auto busy = run.run_until(360, 1);
  CHECK(busy.on > 0.95 * busy.steps);
  // Gone: two threads again within the longest wait between trials and a few steps.
  const double gone_at = run.seconds;
  while (run.step() != 2 || run.step() != 2) {
  }
  CHECK(run.seconds - gone_at <
        std::chrono::duration<double>(StepThreadTuner::kLongestRetry).count() + 10);
}

TEST_CASE("the step never takes more threads than the caller allows, nor fewer than one") {
  SimulatedRun run{[](int threads, double) { return two_cores(threads, false); }};
  for (int i = 0; i < 2000; ++i) {
    run.ceiling = i % 40 < 20 ? 2 : 1;  // the app's explorer busy now and then
    run.step();                         // checks 1 <= threads <= ceiling
  }
  run.ceiling = 0;
  CHECK(run.step() == 1);
}

TEST_CASE("a choice outlasts a spell of fewer threads allowed (the app's explorer computing)") {
  SimulatedRun run{[](int threads, double) { return two_cores(threads, true); }};
  run.run_until(30, 1);
  REQUIRE(run.tuner.settled_threads() == 1);
  run.ceiling = 1;
  for (int i = 0; i < 20; ++i) run.step();
  run.ceiling = 2;
  // Back on the choice at once; its first trial of two threads ends after one counted step.
  CHECK(run.step() == 1);
  const auto t = run.run_until(run.seconds + 30, 1);
  CHECK(t.on > 0.9 * t.steps);
}

namespace {
// Steps until `until` seconds with one thread allowed for 3 steps in every 23 (the app's
// explorer at each slider move): of the steps allowed two threads, the share that took
// `threads`.
double share_on_between_spells(SimulatedRun& run, double until, int threads) {
  int allowed_two = 0, on = 0;
  for (int i = 0; run.seconds < until; ++i) {
    run.ceiling = i % 23 < 20 ? 2 : 1;
    const int took = run.step();
    allowed_two += run.ceiling == 2;
    on += run.ceiling == 2 && took == threads;
  }
  return static_cast<double>(on) / allowed_two;
}
}  // namespace

TEST_CASE("a ceiling allowed again is compared with what was learnt under it, without a trial") {
  // Each return to two threads was followed by a trial of one: 85 % of the steps on two.
  SimulatedRun idle{[](int threads, double) { return two_cores(threads, false); }};
  CHECK(share_on_between_spells(idle, 600, 2) > 0.98);
  // And beside a busy process, what was learnt is kept through the spells too.
  SimulatedRun busy{[](int threads, double) { return two_cores(threads, true); }};
  busy.run_until(30, 1);
  CHECK(share_on_between_spells(busy, 330, 1) > 0.97);
}

TEST_CASE("on sixteen cores beside three busy processes the step comes down to thirteen") {
  // Work that divides over the threads, four times slower with a thread past the free cores.
  SimulatedRun run{
      [](int threads, double) { return 16000.0 / threads * (threads > 13 ? 4.0 : 1.0); }, 16};
  run.run_until(120, 13);
  const auto t = run.run_until(600, 13);
  CHECK(t.on > 0.85 * t.steps);
  // Its trials of other counts cost little: within a tenth of thirteen threads' time.
  CHECK(t.ms < 1.1 * 16000.0 / 13 * t.steps);
}
