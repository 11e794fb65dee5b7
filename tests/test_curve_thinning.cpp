// Why: the Curves panel draws a long run from the points thin_curve keeps; these cases pin
// that a one-step spike survives, that each pixel column keeps its lowest and highest value
// and its ends (so the line between columns is the one all points draw), that a smoothed
// curve becomes one mean per column, and that a short curve is drawn whole.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <ostream>
#include <random>
#include <vector>

#include "util/curve_thinning.h"

namespace mae {
// How a point reads in a failed check.
std::ostream& operator<<(std::ostream& out, const PlotPoint& p) {
  return out << "(" << p.x << ", " << p.y << ")";
}
}  // namespace mae

using mae::PlotPoint;
using mae::thin_curve;
using mae::Thinning;

namespace {
// A loss-like curve over steps 1..n: a decay with noise.
void noisy_decay(size_t n, std::vector<double>& xs, std::vector<double>& ys) {
  std::mt19937 random(7);
  std::normal_distribution<double> noise(0.0, 0.02);
  xs.resize(n);
  ys.resize(n);
  for (size_t i = 0; i < n; ++i) {
    xs[i] = static_cast<double>(i + 1);
    ys[i] = 0.3 + std::exp(-static_cast<double>(i) / 5e4) + noise(random);
  }
}

bool kept_point(const std::vector<PlotPoint>& kept, PlotPoint p) {
  return std::find(kept.begin(), kept.end(), p) != kept.end();
}

bool ascending_steps(const std::vector<PlotPoint>& kept) {
  return std::is_sorted(kept.begin(), kept.end(),
                        [](PlotPoint a, PlotPoint b) { return a.x < b.x; });
}
}  // namespace

TEST_CASE("a value range takes any finite value, the largest doubles included") {
  mae::ValueRange range;
  CHECK(range.empty());
  range.take(1e308);
  CHECK(range.lo == 1e308);
  CHECK(range.hi == 1e308);
  range.take(-1e308);
  CHECK(range.lo == -1e308);
  CHECK_FALSE(range.empty());
}

TEST_CASE("a curve with no more points than the thinning keeps is drawn whole") {
  const std::vector<double> xs{1, 2, 3, 5, 8}, ys{0.9, 0.7, 0.8, 0.5, 0.4};
  const std::vector<PlotPoint> whole{{1, 0.9}, {2, 0.7}, {3, 0.8}, {5, 0.5}, {8, 0.4}};
  CHECK(thin_curve(xs, ys, 1, 8, 2, Thinning::Extremes) == whole);
  CHECK(thin_curve(xs, ys, 1, 8, 5, Thinning::Means) == whole);
  CHECK(thin_curve({}, {}, 0, 1, 100, Thinning::Extremes).empty());
}

TEST_CASE("a long curve keeps at most four points per column, its ends and a one-step spike") {
  std::vector<double> xs, ys;
  noisy_decay(250000, xs, ys);
  ys[123457] = 9.0;  // one step's loss spike
  ys[200001] = 0.0;  // and one step's dip
  const int columns = 700;
  const auto kept = thin_curve(xs, ys, xs.front(), xs.back(), columns, Thinning::Extremes);
  CHECK(kept.size() <= 4 * static_cast<size_t>(columns));
  CHECK(kept.size() >= 2 * static_cast<size_t>(columns));
  CHECK(ascending_steps(kept));
  CHECK(std::adjacent_find(kept.begin(), kept.end()) == kept.end());
  CHECK(kept.front() == PlotPoint{xs.front(), ys.front()});
  CHECK(kept.back() == PlotPoint{xs.back(), ys.back()});
  CHECK(kept_point(kept, {123458, 9.0}));
  CHECK(kept_point(kept, {200002, 0.0}));
}

TEST_CASE("each pixel column keeps the lowest, highest, first and last of its points") {
  std::vector<double> xs, ys;
  noisy_decay(30000, xs, ys);
  const int columns = 333;
  const double lo = xs.front(), hi = xs.back();
  const auto kept = thin_curve(xs, ys, lo, hi, columns, Thinning::Extremes);
  // A step sits in the column whose span holds it (the last column takes the end).
  const auto column_of = [&](double x) {
    return std::clamp(static_cast<int>((x - lo) * columns / (hi - lo)), 0, columns - 1);
  };
  struct Column {
    double low = 1e300, high = -1e300, first = 1e300, last = -1e300;
    void take(PlotPoint p) {
      low = std::min(low, p.y);
      high = std::max(high, p.y);
      first = std::min(first, p.x);
      last = std::max(last, p.x);
    }
    bool operator==(const Column&) const = default;
  };
  std::vector<Column> all(columns), drawn(columns);
  for (size_t i = 0; i < xs.size(); ++i) all[column_of(xs[i])].take({xs[i], ys[i]});
  for (const auto& p : kept) drawn[column_of(p.x)].take(p);
  for (int c = 0; c < columns; ++c) CHECK_MESSAGE(drawn[c] == all[c], "column " << c);
}

TEST_CASE("a smoothed curve becomes the mean step and value of each column") {
  std::vector<double> xs, ys;
  noisy_decay(10000, xs, ys);
  const auto kept = thin_curve(xs, ys, 1, 10000, 100, Thinning::Means);
  REQUIRE(kept.size() == 100);
  CHECK(ascending_steps(kept));
  // The first column holds steps 1..100 (the edge at 100.99 lies before step 101).
  double mean = 0;
  for (size_t i = 0; i < 100; ++i) mean += ys[i];
  CHECK(kept.front().x == doctest::Approx(50.5));
  CHECK(kept.front().y == doctest::Approx(mean / 100));
}

TEST_CASE("a zoomed plot keeps the points inside and the nearest one on each side") {
  std::vector<double> xs, ys;
  noisy_decay(10000, xs, ys);
  for (auto thinning : {Thinning::Extremes, Thinning::Means}) {
    const auto kept = thin_curve(xs, ys, 2000, 8000, 100, thinning);
    CHECK(kept.size() <= 400 + 2);
    CHECK(kept.front() == PlotPoint{1999, ys[1998]});
    CHECK(kept.back() == PlotPoint{8001, ys[8000]});
    CHECK(ascending_steps(kept));
    for (size_t i = 1; i + 1 < kept.size(); ++i) CHECK((kept[i].x >= 2000 && kept[i].x <= 8000));
  }
  // Few enough steps in the span: each of them, with the two beside it.
  const auto close = thin_curve(xs, ys, 500.5, 510, 100, Thinning::Extremes);
  REQUIRE(close.size() == 12);  // steps 501 to 510, and 500 and 511
  CHECK(close.front() == PlotPoint{500, ys[499]});
  CHECK(close[1] == PlotPoint{501, ys[500]});
  CHECK(close.back() == PlotPoint{511, ys[510]});
}

TEST_CASE("any span, outside the steps or inverted, thins to points in step order") {
  std::vector<double> xs, ys;
  noisy_decay(5000, xs, ys);
  std::mt19937 random(11);
  std::uniform_real_distribution<double> at(-1000, 7000);
  std::uniform_int_distribution<int> columns(1, 900);
  for (int trial = 0; trial < 300; ++trial) {
    const double lo = at(random), hi = at(random);
    for (auto thinning : {Thinning::Extremes, Thinning::Means}) {
      const auto kept = thin_curve(xs, ys, lo, hi, columns(random), thinning);
      CHECK(ascending_steps(kept));
      CHECK(kept.size() <= 4 * 900 + 2);
    }
  }
  CHECK(thin_curve(xs, ys, 6000, 7000, 10, Thinning::Means) ==
        std::vector<PlotPoint>{{xs.back(), ys.back()}});
}

TEST_CASE("a NaN is never a column's lowest or highest, unless the column holds nothing else") {
  const double nan = std::nan("");
  const std::vector<double> ys{nan, 2, 1, nan, 3, 3, 1};
  const auto e = mae::extremes_of(ys, 0, ys.size());
  CHECK(e.low == 2);  // the first of the equal lowest
  CHECK(e.high == 4);
  const auto only_nan = mae::extremes_of(ys, 3, 4);
  CHECK(only_nan.low == 3);
  CHECK(only_nan.high == 3);
}

namespace {
// The same value, NaN as NaN; to rounding where `epsilon` is given.
bool alike(double a, double b, double epsilon = 0) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return epsilon == 0 ? a == b : a == doctest::Approx(b).epsilon(epsilon);
}

// thin_curve with block summaries against the plain pass: the same points, means to rounding.
void check_blocks_thin_alike(const std::vector<double>& xs, const std::vector<double>& ys,
                             const mae::CurveBlocks& blocks, double lo, double hi, int columns) {
  for (auto thinning : {Thinning::Extremes, Thinning::Means}) {
    const auto plain = thin_curve(xs, ys, lo, hi, columns, thinning);
    const auto quick = thin_curve(xs, ys, lo, hi, columns, thinning, &blocks);
    REQUIRE(quick.size() == plain.size());
    const double epsilon = thinning == Thinning::Means ? 1e-12 : 0;
    for (size_t i = 0; i < plain.size(); ++i)
      CHECK_MESSAGE(
          (alike(quick[i].x, plain[i].x, epsilon) && alike(quick[i].y, plain[i].y, epsilon)),
          "point " << i << ": " << quick[i] << " against " << plain[i]);
  }
}
}  // namespace

TEST_CASE(
    "block summaries thin a curve as the pass over every value does, as it grows and shrinks") {
  std::mt19937 random(5);
  std::uniform_int_distribution<int> level(0, 40);  // many equal values: ties
  std::uniform_real_distribution<double> at(-100, 120000);
  std::uniform_int_distribution<int> columns(1, 900);
  for (size_t n : {0, 1, 63, 64, 65, 1000, 100003}) {
    std::vector<double> xs(n), ys(n);
    for (size_t i = 0; i < n; ++i) {
      xs[i] = static_cast<double>(i + 1);
      ys[i] = i % 97 == 5 ? std::nan("") : level(random) * 0.01;
    }
    mae::CurveBlocks blocks;
    blocks.catch_up(xs, ys);
    CHECK(blocks.size() == n / mae::CurveBlocks::kBlockSize);
    check_blocks_thin_alike(xs, ys, blocks, 1, static_cast<double>(n), 800);
    for (int trial = 0; trial < 40; ++trial)
      check_blocks_thin_alike(xs, ys, blocks, at(random), at(random), columns(random));
    if (n < 1000) continue;
    // A resumed run drops the steps after its checkpoint and takes them again, differently.
    const size_t kept = n / 2 + 7;
    blocks.forget_from(kept);
    CHECK(blocks.size() == kept / mae::CurveBlocks::kBlockSize);
    for (size_t i = kept; i < n; ++i) ys[i] = 1.0 + level(random) * 0.01;
    ys[n - 300] = -5.0;  // a dip only the new values hold
    blocks.catch_up(xs, ys);
    check_blocks_thin_alike(xs, ys, blocks, 1, static_cast<double>(n), 800);
    check_blocks_thin_alike(xs, ys, blocks, static_cast<double>(kept), static_cast<double>(n), 97);
    CHECK(
        kept_point(thin_curve(xs, ys, 1, static_cast<double>(n), 800, Thinning::Extremes, &blocks),
                   {xs[n - 300], -5.0}));
  }
}
