// Why: the one place a loss curve grows and is thinned for drawing, so that its smoothing, its
// extent and what is drawn of it cannot drift apart between the Curves panel and the
// Experiments window.
#include "loss_curve.h"

#include <algorithm>

namespace mae::studio {

void LossCurve::add(double step, double step_loss, double step_lr) {
  average_ = kSmoothing * average_ + (1 - kSmoothing) * step_loss;
  average_weight_ = kSmoothing * average_weight_ + (1 - kSmoothing);
  steps.push_back(step);
  loss.push_back(step_loss);
  smoothed.push_back(average_ / average_weight_);
  lr.push_back(step_lr);
  step_range.take(step);
  loss_range.take(step_loss);
  smoothed_range.take(smoothed.back());
  lr_range.take(step_lr);
}

void LossCurve::clear() { *this = LossCurve{}; }

std::optional<double> LossCurve::smoothed_at(double step) const {
  if (steps.empty() || step < steps.front() || step > steps.back()) return std::nullopt;
  const auto it = std::lower_bound(steps.begin(), steps.end(), step);
  return smoothed[static_cast<size_t>(it - steps.begin())];
}

const std::vector<double>& LossCurve::values(CurveSeries series) const {
  switch (series) {
    case CurveSeries::Loss:
      return loss;
    case CurveSeries::Smoothed:
      return smoothed;
    case CurveSeries::Lr:
      return lr;
  }
  return loss;
}

const std::vector<PlotPoint>& LossCurve::drawn_points(CurveSeries series, double x_lo, double x_hi,
                                                      int columns) const {
  auto& t = thinned_[static_cast<size_t>(series)];
  if (t.points != size() || t.x_lo != x_lo || t.x_hi != x_hi || t.columns != columns) {
    const auto thinning = series == CurveSeries::Smoothed ? Thinning::Means : Thinning::Extremes;
    t = {size(), x_lo, x_hi, columns,
         thin_curve(steps, values(series), x_lo, x_hi, columns, thinning)};
  }
  return t.kept;
}

}  // namespace mae::studio
