// Why: every plot, in the app and in the pictures it writes, labels its axes at round values
// (1, 2 or 5 times a power of ten), as a figure drawn by hand would. Equal fifths of the data's
// range gave labels like 0.21, 0.39, 0.58, 0.76 on a masking-ratio axis that holds 0.25 and
// 0.75, and step 111 on a run's curve.
#pragma once

#include <string>
#include <vector>

namespace mae {

struct AxisTick {
  double value;
  std::string label;
};

// Round values inside [lo, hi], evenly spaced by 1, 2 or 5 times a power of ten, no step
// finer than `min_step` (1 for training steps), and at most `max_count` of them (at least 2
// allowed). Labels carry as many decimals as the spacing needs. Empty when lo or hi is not
// finite or hi < lo; one tick when hi == lo.
std::vector<AxisTick> linear_ticks(double lo, double hi, int max_count, double min_step = 0);

// For a log axis over [lo, hi] (values, both > 0): powers of ten, then 2 and 5 times them,
// each where it keeps a fair distance from those already chosen, so at most `max_count`
// (powers are thinned to every n-th when the decades are too many). A range of less than a
// decade or so also takes the other whole mantissas (3, 4, ...); one that holds fewer than two
// of any of those gets linear ticks.
std::vector<AxisTick> log_ticks(double lo, double hi, int max_count);

}  // namespace mae
