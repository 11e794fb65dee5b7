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

// Fixed decimals as the spacing needs; past six of them, as many significant digits as
// tell neighbouring ticks apart ("-0.0003496" beside "-0.0003498").
std::string label_for_spacing(double value, double step) {
  const int step_digit = static_cast<int>(std::floor(std::log10(step) + 1e-9));
  char buf[48];
  if (step_digit >= -6) {
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
  const auto [first_decade, last_decade] = multiples_inside(std::log10(lo), std::log10(hi), 1.0);
  auto ladder = [&](std::initializer_list<int> mantissas, int every) {
    std::vector<AxisTick> ticks;
    for (double d = first_decade - 1; d <= last_decade; ++d) {
      if (std::fmod(d, every) != 0) continue;
      for (const int m : mantissas) {
        const double value = m * std::pow(10.0, d);
        if (value >= lo * (1 - 1e-9) && value <= hi * (1 + 1e-9))
          ticks.push_back({value, general_label(value)});
      }
    }
    return ticks;
  };
  const auto ticks = ladder({1, 2, 5}, 1);
  const auto fits = [&](const std::vector<AxisTick>& t) {
    return t.size() >= 2 && static_cast<int>(t.size()) <= max_count;
  };
  if (ticks.size() < 3) {
    // Less than a decade or so: every whole mantissa reads better than two lonely labels.
    const auto finer = ladder({1, 2, 3, 4, 5, 6, 7, 8, 9}, 1);
    if (fits(finer)) return finer;
    return fits(ticks) ? ticks : linear_ticks(lo, hi, max_count);
  }
  if (fits(ticks)) return ticks;
  const int decades = static_cast<int>(last_decade - first_decade) + 1;
  return ladder({1}, std::max(1, (decades + max_count - 1) / max_count));
}

}  // namespace mae
