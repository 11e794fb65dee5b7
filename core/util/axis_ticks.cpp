// Why: round axis labels for the app's plots and the charts it saves; the rule is the usual
// 1-2-5 ladder, picked as the finest spacing that still fits the room the caller has.
#include "util/axis_ticks.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace mae {

namespace {

// Index range of the multiples of `step` inside [lo, hi], with a little slack so an end that
// is a multiple up to rounding still counts.
struct Multiples {
  double first, last;
};

Multiples multiples_inside(double lo, double hi, double step) {
  const double slack = 1e-9;
  return {std::ceil(lo / step - slack), std::floor(hi / step + slack)};
}

// Fixed decimals as the spacing needs; past six of them, or for ticks a billion or more apart
// (a diverged run's loss of 1e30), as many significant digits as tell neighbouring ticks apart
// ("-0.0003496" beside "-0.0003498", "2e+30" beside "4e+30").
std::string label_for_spacing(double value, double step) {
  const int step_digit = static_cast<int>(std::floor(std::log10(step) + 1e-9));
  char buf[48];
  if (step_digit >= -6 && step_digit <= 8) {
    std::snprintf(buf, sizeof buf, "%.*f", std::max(0, -step_digit), value);
  } else {
    const int value_digit =
        value == 0 ? step_digit : static_cast<int>(std::floor(std::log10(std::abs(value))));
    std::snprintf(buf, sizeof buf, "%.*g", std::clamp(value_digit - step_digit + 1, 1, 17), value);
  }
  return buf;
}

std::string general_label(double value) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%g", value);
  return buf;
}

}  // namespace

std::vector<AxisTick> linear_ticks(double lo, double hi, int max_count, double min_step) {
  if (!std::isfinite(lo) || !std::isfinite(hi) || hi < lo) return {};
  max_count = std::max(max_count, 2);
  const double span = hi - lo;
  if (span <= 0) return {{lo, general_label(lo)}};
  // Start a decade below the spacing that would just fit, so the finest fitting step wins.
  int exponent = static_cast<int>(std::floor(std::log10(span / max_count))) - 1;
  for (;; ++exponent) {
    for (const int mantissa : {1, 2, 5}) {
      const double step = mantissa * std::pow(10.0, exponent);
      if (step < min_step) continue;
      const auto [first, last] = multiples_inside(lo, hi, step);
      if (last - first + 1 > max_count) continue;
      std::vector<AxisTick> ticks;
      for (double i = first; i <= last; ++i) {
        const double value = i == 0 ? 0.0 : i * step;  // no "-0.0"
        ticks.push_back({value, label_for_spacing(value, step)});
      }
      return ticks;
    }
  }
}

std::vector<AxisTick> log_ticks(double lo, double hi, int max_count) {
  if (!(lo > 0) || !std::isfinite(hi) || hi < lo) return {};
  max_count = std::max(max_count, 2);
  const double log_lo = std::log10(lo), log_hi = std::log10(hi);
  // Ticks at least this far apart on the axis never number more than max_count.
  const double min_gap = (log_hi - log_lo) / (max_count - 1) * (1 - 1e-9);
  std::vector<double> chosen;
  auto add_where_room = [&](std::initializer_list<int> mantissas) {
    for (double decade = std::floor(log_lo); decade <= std::floor(log_hi); ++decade)
      for (const int m : mantissas) {
        const double value = m * std::pow(10.0, decade);
        if (value < lo * (1 - 1e-9) || value > hi * (1 + 1e-9)) continue;
        const double at = std::log10(value);
        if (std::all_of(chosen.begin(), chosen.end(),
                        [&](double c) { return std::abs(std::log10(c) - at) >= min_gap; }))
          chosen.push_back(value);
      }
  };
  // Powers of ten first, then 2 and 5 times them where there is room; a range of less than a
  // decade or so also takes the other whole mantissas rather than show two lonely labels.
  add_where_room({1});
  add_where_room({2, 5});
  if (chosen.size() < 3) add_where_room({3, 4, 6, 7, 8, 9});
  if (chosen.size() < 2) {
    // Linear ticks may round to a multiple just below lo (0 on a wide range): not on a log axis.
    auto linear = linear_ticks(lo, hi, max_count);
    std::erase_if(linear, [&](const AxisTick& t) { return t.value < lo * (1 - 1e-9); });
    if (linear.size() > chosen.size()) return linear;
  }
  std::sort(chosen.begin(), chosen.end());
  std::vector<AxisTick> ticks;
  for (const double value : chosen) ticks.push_back({value, general_label(value)});
  return ticks;
}

}  // namespace mae
