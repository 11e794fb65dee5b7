// Why: the one pass that thins a curve to what its pixels can show, for the Curves panel and
// the Experiments window.
#include "util/curve_thinning.h"

#include <algorithm>

namespace mae {

namespace {

// Each column's run of points [first, end) among the points [begin, n) that lie in
// [x_lo, x_hi], found by bisection (xs ascend), so that the pass over the values is a plain
// scan per column. Empty columns are left out.
template <class EachColumn>
void for_each_column(const std::vector<double>& xs, size_t begin, size_t n, double x_lo,
                     double x_hi, int columns, EachColumn each) {
  const double column_width = (x_hi - x_lo) / columns;
  const auto start = xs.begin();
  size_t first = begin;
  for (int column = 0; column < columns && first < n; ++column) {
    const size_t end =
        column + 1 == columns
            ? n
            : static_cast<size_t>(std::lower_bound(start + static_cast<std::ptrdiff_t>(first),
                                                   start + static_cast<std::ptrdiff_t>(n),
                                                   x_lo + (column + 1) * column_width) -
                                  start);
    if (end > first) each(first, end);
    first = end;
  }
}

void keep_extremes(const std::vector<double>& xs, const std::vector<double>& ys, size_t first,
                   size_t end, std::vector<PlotPoint>& kept) {
  const auto [low, high] = extremes_of(ys, first, end);
  const size_t four[] = {first, std::min(low, high), std::max(low, high), end - 1};
  for (size_t k = 0; k < 4; ++k)
    if (k == 0 || four[k] != four[k - 1]) kept.push_back({xs[four[k]], ys[four[k]]});
}

void keep_mean(const std::vector<double>& xs, const std::vector<double>& ys, size_t first,
               size_t end, std::vector<PlotPoint>& kept) {
  double x = 0, y = 0;
  for (size_t i = first; i < end; ++i) {
    x += xs[i];
    y += ys[i];
  }
  const auto count = static_cast<double>(end - first);
  kept.push_back({x / count, y / count});
}

}  // namespace

Extremes extremes_of(const std::vector<double>& ys, size_t first, size_t end) {
  size_t low = first, high = first;
  double lowest = ys[first], highest = ys[first];
  for (size_t i = first + 1; i < end; ++i) {
    const double y = ys[i];
    if (y < lowest) {
      lowest = y;
      low = i;
    }
    if (y > highest) {
      highest = y;
      high = i;
    }
  }
  return {low, high};
}

std::vector<PlotPoint> thin_curve(const std::vector<double>& xs, const std::vector<double>& ys,
                                  double x_lo, double x_hi, int columns, Thinning thinning) {
  const size_t n = std::min(xs.size(), ys.size());
  columns = std::max(1, columns);
  const auto start = xs.begin(), finish = xs.begin() + static_cast<std::ptrdiff_t>(n);
  const auto first = static_cast<size_t>(std::lower_bound(start, finish, x_lo) - start);
  // An inverted span holds no step (its neighbours are still kept).
  const auto end =
      std::max(first, static_cast<size_t>(std::upper_bound(start, finish, x_hi) - start));
  const size_t per_column = thinning == Thinning::Extremes ? 4 : 1;
  std::vector<PlotPoint> kept;
  kept.reserve(std::min(end - first, per_column * static_cast<size_t>(columns)) + 2);
  if (first > 0) kept.push_back({xs[first - 1], ys[first - 1]});
  if (end - first <= per_column * static_cast<size_t>(columns) || !(x_hi > x_lo)) {
    for (size_t i = first; i < end; ++i) kept.push_back({xs[i], ys[i]});
  } else {
    for_each_column(xs, first, end, x_lo, x_hi, columns, [&](size_t from, size_t to) {
      if (thinning == Thinning::Extremes)
        keep_extremes(xs, ys, from, to, kept);
      else
        keep_mean(xs, ys, from, to, kept);
    });
  }
  if (end < n) kept.push_back({xs[end], ys[end]});
  return kept;
}

}  // namespace mae
