// Why: plots label their axes at round values; these cases pin the 1-2-5 rule on the ranges
// the app meets (a loss curve, a masking-ratio axis, training steps, a log-scale loss) and
// its limits on odd ranges.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "util/axis_ticks.h"

using mae::AxisTick;
using mae::linear_ticks;
using mae::log_ticks;

namespace {
std::vector<std::string> labels(const std::vector<AxisTick>& ticks) {
  std::vector<std::string> out;
  for (const auto& t : ticks) out.push_back(t.label);
  return out;
}
using Labels = std::vector<std::string>;

// Between one and max_count ticks, increasing, all within [lowest, highest].
void check_fit(const std::vector<AxisTick>& ticks, double lowest, double highest, int max_count) {
  REQUIRE(!ticks.empty());
  CHECK(static_cast<int>(ticks.size()) <= max_count);
  for (size_t i = 0; i < ticks.size(); ++i) {
    CHECK(ticks[i].value >= lowest);
    CHECK(ticks[i].value <= highest);
    if (i > 0) CHECK(ticks[i].value > ticks[i - 1].value);
  }
}
}  // namespace

TEST_CASE("axis ticks: round values inside the range, as many as fit") {
  // A loss curve that fell from 4.81 to 1.47, with room for five labels.
  CHECK(labels(linear_ticks(1.47, 4.81, 5)) == Labels{"2", "3", "4"});
  // The sweep figure's padded ratio axis holds 0.25 ... 0.9: tenths, not 0.21, 0.39, ...
  CHECK(labels(linear_ticks(0.21, 0.94, 8)) ==
        Labels{"0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9"});
  CHECK(labels(linear_ticks(0.21, 0.94, 4)) == Labels{"0.4", "0.6", "0.8"});
  // Training steps 1 to 148 across a plot with room for seven labels.
  CHECK(labels(linear_ticks(1, 148, 7, 1.0)) ==
        Labels{"20", "40", "60", "80", "100", "120", "140"});
  // Steps are whole: three steps never get half-step ticks.
  CHECK(labels(linear_ticks(0, 3, 10, 1.0)) == Labels{"0", "1", "2", "3"});
  CHECK(labels(linear_ticks(0.00012, 0.00047, 4)) == Labels{"0.0002", "0.0003", "0.0004"});
  CHECK(labels(linear_ticks(-0.3, 0.3, 5)) == Labels{"-0.2", "0.0", "0.2"});
  CHECK(labels(linear_ticks(45.7, 84.7, 5)) == Labels{"50", "60", "70", "80"});
}

TEST_CASE("axis ticks a billion or more apart are labelled in powers of ten") {
  // A diverged run's loss: before, each label spelled out its hundreds of digits.
  CHECK(labels(linear_ticks(0, 1e308, 6)) ==
        Labels{"0", "2e+307", "4e+307", "6e+307", "8e+307", "1e+308"});
  CHECK(labels(linear_ticks(1.5e30, 1.8e30, 4)) ==
        Labels{"1.5e+30", "1.6e+30", "1.7e+30", "1.8e+30"});
  // Steps stay written out up to hundreds of millions.
  CHECK(labels(linear_ticks(0, 3e8, 4, 1.0)) == Labels{"0", "100000000", "200000000", "300000000"});
}

TEST_CASE("axis ticks: a flat, empty or broken range") {
  CHECK(labels(linear_ticks(2, 2, 5)) == Labels{"2"});
  CHECK(linear_ticks(1, 0, 5).empty());
  CHECK(linear_ticks(std::nan(""), 1, 5).empty());
  CHECK(linear_ticks(0, INFINITY, 5).empty());
  CHECK(log_ticks(0, 1, 5).empty());
  CHECK(log_ticks(-1, 1, 5).empty());
}

TEST_CASE("axis ticks: any range gets between one and max_count increasing ticks inside it") {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> exponent(-6, 6), unit(0, 1);
  for (int trial = 0; trial < 2000; ++trial) {
    const double scale = std::pow(10.0, exponent(rng));
    const double lo = (unit(rng) - 0.5) * scale, hi = lo + unit(rng) * scale;
    const int max_count = 2 + trial % 9;
    const auto ticks = linear_ticks(lo, hi, max_count);
    CAPTURE(lo);
    CAPTURE(hi);
    CAPTURE(max_count);
    const double slack = 1e-9 * std::max(std::abs(lo), std::abs(hi)) + 1e-300;
    check_fit(ticks, lo - slack, hi + slack, max_count);
    // Each label reads back as its value, up to the printed precision.
    const double spacing = ticks.size() > 1 ? ticks[1].value - ticks[0].value : hi - lo + 1;
    for (const auto& tick : ticks)
      CHECK(std::abs(std::strtod(tick.label.c_str(), nullptr) - tick.value) <=
            0.01 * spacing + 1e-3 * std::abs(tick.value));
  }
}

TEST_CASE("axis ticks on a log scale: any range gets at most max_count increasing ticks") {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> exponent(-8, 8), decades(0, 12);
  for (int trial = 0; trial < 2000; ++trial) {
    const double lo = std::pow(10.0, exponent(rng)), hi = lo * std::pow(10.0, decades(rng));
    const int max_count = 2 + trial % 9;
    const auto ticks = log_ticks(lo, hi, max_count);
    CAPTURE(lo);
    CAPTURE(hi);
    CAPTURE(max_count);
    check_fit(ticks, lo * (1 - 1e-9), hi * (1 + 1e-9), max_count);
  }
}

TEST_CASE("axis ticks on a log scale: 1, 2, 5 times powers of ten, fewer when decades crowd") {
  CHECK(labels(log_ticks(0.3, 4.8, 6)) == Labels{"0.5", "1", "2"});
  CHECK(labels(log_ticks(0.05, 3, 8)) == Labels{"0.05", "0.1", "0.2", "0.5", "1", "2"});
  // Six decades and room for five labels: every second power of ten.
  CHECK(labels(log_ticks(1e-4, 10, 5)) == Labels{"0.0001", "0.01", "1"});
  CHECK(labels(log_ticks(1e-4, 10, 6)) == Labels{"0.0001", "0.001", "0.01", "0.1", "1", "10"});
  // A loss from 4.5 down to 0.95: 1 and 2 alone would say little, so 3 too, but not 4 (too
  // close to 3 for the room), nor 0.9 or 0.95 beside 1.
  CHECK(labels(log_ticks(0.9, 4.5, 5)) == Labels{"1", "2", "3"});
  CHECK(labels(log_ticks(0.95, 4.5, 3)) == Labels{"1", "3"});
  // Within one ladder step the axis falls back to linear ticks.
  CHECK(labels(log_ticks(1.09, 1.81, 5)) == Labels{"1.2", "1.4", "1.6", "1.8"});
}
