// Why: a run's curve has a point per step, a quarter of a million after a long run, and the
// window redraws it every frame into a plot a few hundred pixels wide. Walking and drawing
// every point cost milliseconds a frame; keeping every n-th point hid the one-step spikes a
// user looks for, and drew a smoothed loss as a band of noise.
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

// Where the lowest and highest of ys[first, end) are (the first of equals); end > first.
struct Extremes {
  size_t low, high;
};
Extremes extremes_of(const std::vector<double>& ys, size_t first, size_t end);

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

std::vector<PlotPoint> thin_curve(const std::vector<double>& xs, const std::vector<double>& ys,
                                  double x_lo, double x_hi, int columns, Thinning thinning);

}  // namespace mae
