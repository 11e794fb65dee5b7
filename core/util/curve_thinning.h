// Why: a run's curve has a point per step, a quarter of a million after a long run, and the
// window redraws it every frame into a plot a few hundred pixels wide. Walking and drawing
// every point cost milliseconds a frame; keeping every n-th point hid the one-step spikes a
// user looks for, and drew a smoothed loss as a band of noise. The paper's longest recipes
// take half a million steps, each redrawn at every frame while a zoom is dragged.
#pragma once

#include <cstddef>
#include <limits>
#include <vector>

namespace mae {

// The lowest and highest of some values, taken one at a time as they arrive.
struct ValueRange {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void take(double v) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  bool empty() const { return hi < lo; }
};

struct PlotPoint {
  double x, y;
  bool operator==(const PlotPoint&) const = default;
};

// Where the lowest and highest of ys[first, end) are (the first of equals; a NaN is neither
// unless all are, then both are `first`); end > first.
struct Extremes {
  size_t low, high;
};
Extremes extremes_of(const std::vector<double>& ys, size_t first, size_t end);

// Each block of kBlockSize values' extremes and sums, kept beside a series that grows at its
// end: a pixel column of a long run's plot reads its whole blocks' summaries, not every value,
// so that thinning a million steps costs what some twenty thousand did.
class CurveBlocks {
 public:
  static constexpr size_t kBlockSize = 64;
  // Forgets the blocks holding any value from index `values` on (dropped, or changed).
  void forget_from(size_t values);
  // Summarises the whole blocks of xs and ys that are not yet.
  void catch_up(const std::vector<double>& xs, const std::vector<double>& ys);
  size_t size() const { return blocks_.size(); }
  // extremes_of(ys, first, end), from the blocks inside [first, end) and the values outside
  // them.
  Extremes extremes_of(const std::vector<double>& ys, size_t first, size_t end) const;
  // The sums of xs and ys over [first, end), the same way.
  PlotPoint sums_of(const std::vector<double>& xs, const std::vector<double>& ys, size_t first,
                    size_t end) const;

 private:
  struct Block {
    Extremes extremes;
    double x_sum, y_sum;
  };
  std::vector<Block> blocks_;
  // The blocks wholly inside [first, end): [*from, *to), empty when none.
  void blocks_inside(size_t first, size_t end, size_t* from, size_t* to) const;
};

// How a curve is thinned to `columns` pixel columns spanning [x_lo, x_hi] (xs ascending). Of
// the points outside the span only the nearest on each side is kept, as it is, to carry the
// line to the plot's edge (a zoomed plot). A span of no more points than the thinning keeps is
// drawn whole.
enum class Thinning {
  // Each column's first, lowest, highest and last point, in their order: the polyline they
  // draw covers the same pixels as all points' (the M4 aggregation of Jugel et al., VLDB
  // 2014), one-step spikes included. At most 4 per column.
  Extremes,
  // Each column's mean step and mean value: one point per column, for a smoothed loss, whose
  // wiggles within a pixel are noise at that scale.
  Means,
};

// `blocks`, when given, caught up with xs and ys, makes it quicker; what it keeps is the same
// (a mean may differ in its last bits).
std::vector<PlotPoint> thin_curve(const std::vector<double>& xs, const std::vector<double>& ys,
                                  double x_lo, double x_hi, int columns, Thinning thinning,
                                  const CurveBlocks* blocks = nullptr);

}  // namespace mae
