// Why: the one pass that thins a curve to what its pixels can show, for the Curves panel and
// the Experiments window.
#include "util/curve_thinning.h"

#include <algorithm>
#include <cmath>

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
                   size_t end, const CurveBlocks* blocks, std::vector<PlotPoint>& kept) {
  const auto [low, high] =
      blocks ? blocks->extremes_of(ys, first, end) : extremes_of(ys, first, end);
  const size_t four[] = {first, std::min(low, high), std::max(low, high), end - 1};
  for (size_t k = 0; k < 4; ++k)
    if (k == 0 || four[k] != four[k - 1]) kept.push_back({xs[four[k]], ys[four[k]]});
}

PlotPoint plain_sums(const std::vector<double>& xs, const std::vector<double>& ys, size_t first,
                     size_t end) {
  PlotPoint sums{0, 0};
  for (size_t i = first; i < end; ++i) {
    sums.x += xs[i];
    sums.y += ys[i];
  }
  return sums;
}

void keep_mean(const std::vector<double>& xs, const std::vector<double>& ys, size_t first,
               size_t end, const CurveBlocks* blocks, std::vector<PlotPoint>& kept) {
  const auto sums = blocks ? blocks->sums_of(xs, ys, first, end) : plain_sums(xs, ys, first, end);
  const auto count = static_cast<double>(end - first);
  kept.push_back({sums.x / count, sums.y / count});
}

// The lowest and highest so far of ranges taken in order, as one scan over them all finds them.
class ExtremesSoFar {
 public:
  explicit ExtremesSoFar(const std::vector<double>& ys) : ys_(ys) {}
  void take(Extremes part) {
    const double lowest = ys_[part.low], highest = ys_[part.high];
    if (std::isnan(lowest)) return;  // a range of NaNs only
    if (!seen_ || lowest < ys_[found_.low]) found_.low = part.low;
    if (!seen_ || highest > ys_[found_.high]) found_.high = part.high;
    seen_ = true;
  }
  Extremes found(size_t first) const { return seen_ ? found_ : Extremes{first, first}; }

 private:
  const std::vector<double>& ys_;
  Extremes found_{0, 0};
  bool seen_ = false;
};

}  // namespace

Extremes extremes_of(const std::vector<double>& ys, size_t first, size_t end) {
  size_t i = first;
  while (i < end && std::isnan(ys[i])) ++i;
  if (i == end) return {first, first};
  size_t low = i, high = i;
  double lowest = ys[i], highest = ys[i];
  for (++i; i < end; ++i) {
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

void CurveBlocks::forget_from(size_t values) {
  blocks_.resize(std::min(blocks_.size(), values / kBlockSize));
}

void CurveBlocks::catch_up(const std::vector<double>& xs, const std::vector<double>& ys) {
  const size_t whole = std::min(xs.size(), ys.size()) / kBlockSize;
  for (size_t b = blocks_.size(); b < whole; ++b) {
    const size_t first = b * kBlockSize, end = first + kBlockSize;
    const auto sums = plain_sums(xs, ys, first, end);
    blocks_.push_back({mae::extremes_of(ys, first, end), sums.x, sums.y});
  }
}

void CurveBlocks::blocks_inside(size_t first, size_t end, size_t* from, size_t* to) const {
  *from = (first + kBlockSize - 1) / kBlockSize;
  *to = std::max(*from, std::min(end / kBlockSize, blocks_.size()));
}

Extremes CurveBlocks::extremes_of(const std::vector<double>& ys, size_t first, size_t end) const {
  size_t from = 0, to = 0;
  blocks_inside(first, end, &from, &to);
  if (from == to) return mae::extremes_of(ys, first, end);
  ExtremesSoFar so_far(ys);
  if (first < from * kBlockSize) so_far.take(mae::extremes_of(ys, first, from * kBlockSize));
  for (size_t b = from; b < to; ++b) so_far.take(blocks_[b].extremes);
  if (to * kBlockSize < end) so_far.take(mae::extremes_of(ys, to * kBlockSize, end));
  return so_far.found(first);
}

PlotPoint CurveBlocks::sums_of(const std::vector<double>& xs, const std::vector<double>& ys,
                               size_t first, size_t end) const {
  size_t from = 0, to = 0;
  blocks_inside(first, end, &from, &to);
  if (from == to) return plain_sums(xs, ys, first, end);
  auto sums = plain_sums(xs, ys, first, from * kBlockSize);
  for (size_t b = from; b < to; ++b) {
    sums.x += blocks_[b].x_sum;
    sums.y += blocks_[b].y_sum;
  }
  const auto tail = plain_sums(xs, ys, to * kBlockSize, end);
  return {sums.x + tail.x, sums.y + tail.y};
}

std::vector<PlotPoint> thin_curve(const std::vector<double>& xs, const std::vector<double>& ys,
                                  double x_lo, double x_hi, int columns, Thinning thinning,
                                  const CurveBlocks* blocks) {
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
        keep_extremes(xs, ys, from, to, blocks, kept);
      else
        keep_mean(xs, ys, from, to, blocks, kept);
    });
  }
  if (end < n) kept.push_back({xs[end], ys[end]});
  return kept;
}

}  // namespace mae
