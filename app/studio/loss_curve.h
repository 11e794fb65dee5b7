// Why: a run's loss as the window draws it, in the Curves panel and per ratio in the
// Experiments window: each step's loss and lr, the loss smoothed the same way in both, and the
// points a plot draws, kept until the curve or the plot changes: a frame need not walk a long
// run's quarter of a million steps.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/curve_thinning.h"

namespace mae::studio {

enum class CurveSeries { Loss, Smoothed, Lr };

struct LossCurve {
  // Steps strictly ascending, one entry per step in each vector; change them through add and
  // clear.
  std::vector<double> steps, loss, smoothed, lr;

  // Appends a step. A step not after the last one means the steps from it on were taken again
  // (a run resumed from an earlier checkpoint, its log appended to): those kept are dropped,
  // as a resumed run's own log drops them, and the curve goes on from this one.
  void add(double step, double step_loss, double step_lr);
  // Keeps the smoothing.
  void clear();
  // The smoothed loss's moving-average weight, in [0, 1): 0 draws the loss itself, nearer 1 a
  // smoother line. A new weight smooths every step again.
  void set_smoothing(double weight);
  double smoothing() const { return smoothing_; }
  bool empty() const { return steps.empty(); }
  size_t size() const { return steps.size(); }
  // How many steps lie in [first, last].
  size_t steps_between(double first, double last) const;
  // The smoothed loss at the curve's first step at or after `step`, if the curve reaches it.
  std::optional<double> smoothed_at(double step) const;
  const std::vector<double>& values(CurveSeries series) const;
  // What steps [first, last] hold, for a hover readout: the one step (or, none there, the
  // nearest) with its loss, smoothed loss and lr; or the spread of their losses and where the
  // highest was, which a pixel column of a long run's hundreds of steps hides.
  std::string readout(double first, double last) const;
  // The points of `series` that draw it across `columns` pixel columns spanning steps
  // [x_lo, x_hi]: the smoothed loss as a mean per column, the others by their extremes, so
  // that a one-step spike shows. Thinned again only when the curve has grown or the plot
  // changed since the last call.
  const std::vector<PlotPoint>& drawn_points(CurveSeries series, double x_lo, double x_hi,
                                             int columns) const;

 private:
  struct Thinned {
    uint64_t revision = 0;
    double x_lo = 0, x_hi = 0;
    int columns = 0;
    std::vector<PlotPoint> kept;
  };
  mutable std::array<Thinned, 3> thinned_;
  // Each series' block summaries, caught up as it is drawn.
  mutable std::array<CurveBlocks, 3> blocks_;
  uint64_t revision_ = 1;  // grows with every add; a Thinned of revision 0 holds nothing

  // An exponential average (of weight 0.9 unless set), bias-corrected as in Adam: early
  // values are pulled neither towards the zero it starts from nor held at the first loss.
  double smoothing_ = 0.9;
  double average_ = 0.0, average_weight_ = 0.0;
  // The average taken on to `loss`, bias-corrected.
  double smooth(double loss);
};

}  // namespace mae::studio
