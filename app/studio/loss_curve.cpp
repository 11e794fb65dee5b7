// Why: the one place a loss curve grows and is thinned for drawing, so that its smoothing and
// what is drawn of it cannot drift apart between the Curves panel and the Experiments window.
#include "loss_curve.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace mae::studio {

namespace {
// Four decimals, as a loss reads; a diverged run's 1e30 in powers of ten, not 31 digits.
std::string loss_text(double v) {
  char text[32];
  std::snprintf(text, sizeof text, std::abs(v) < 1e5 ? "%.4f" : "%.4e", v);
  return text;
}
}  // namespace

void LossCurve::add(double step, double step_loss, double step_lr) {
  if (!steps.empty() && step <= steps.back()) {
    const auto kept =
        static_cast<size_t>(std::lower_bound(steps.begin(), steps.end(), step) - steps.begin());
    for (auto* series : {&steps, &loss, &smoothed, &lr}) series->resize(kept);
    for (auto& b : blocks_) b.forget_from(kept);
    // The average as it stood after the steps kept: its weight after k steps is 1 - w^k.
    average_weight_ = 1 - std::pow(smoothing_, static_cast<double>(kept));
    average_ = kept ? smoothed.back() * average_weight_ : 0.0;
  }
  ++revision_;
  steps.push_back(step);
  loss.push_back(step_loss);
  smoothed.push_back(smooth(step_loss));
  lr.push_back(step_lr);
}

double LossCurve::smooth(double step_loss) {
  average_ = smoothing_ * average_ + (1 - smoothing_) * step_loss;
  average_weight_ = smoothing_ * average_weight_ + (1 - smoothing_);
  return average_ / average_weight_;
}

void LossCurve::clear() {
  const double weight = smoothing_;
  *this = LossCurve{};
  smoothing_ = weight;
}

void LossCurve::set_smoothing(double weight) {
  if (weight == smoothing_) return;
  smoothing_ = weight;
  average_ = average_weight_ = 0.0;
  for (size_t i = 0; i < loss.size(); ++i) smoothed[i] = smooth(loss[i]);
  blocks_[static_cast<size_t>(CurveSeries::Smoothed)].forget_from(0);
  ++revision_;
}

size_t LossCurve::steps_between(double first, double last) const {
  return static_cast<size_t>(std::upper_bound(steps.begin(), steps.end(), last) -
                             std::lower_bound(steps.begin(), steps.end(), first));
}

std::optional<double> LossCurve::smoothed_at(double step) const {
  if (steps.empty() || step < steps.front() || step > steps.back()) return std::nullopt;
  const auto it = std::lower_bound(steps.begin(), steps.end(), step);
  return smoothed[static_cast<size_t>(it - steps.begin())];
}

std::string LossCurve::readout(double first, double last) const {
  if (empty()) return "";
  const auto a =
      static_cast<size_t>(std::lower_bound(steps.begin(), steps.end(), first) - steps.begin());
  const auto b =
      static_cast<size_t>(std::upper_bound(steps.begin(), steps.end(), last) - steps.begin());
  char text[256];
  if (b - a <= 1) {
    size_t i = std::min(a, size() - 1);
    const double middle = (first + last) / 2;
    if (b == a && a > 0 && (a == size() || middle - steps[a - 1] < steps[a] - middle)) i = a - 1;
    std::snprintf(text, sizeof text, "step %.0f\nloss %s\nsmoothed %s\nlr %.3e", steps[i],
                  loss_text(loss[i]).c_str(), loss_text(smoothed[i]).c_str(), lr[i]);
    return text;
  }
  const auto [low, high] = extremes_of(loss, a, b);
  std::snprintf(text, sizeof text,
                "steps %.0f to %.0f (%zu)\nloss %s to %s, highest at step %.0f\nsmoothed %s\n"
                "lr %.3e",
                steps[a], steps[b - 1], b - a, loss_text(loss[low]).c_str(),
                loss_text(loss[high]).c_str(), steps[high], loss_text(smoothed[b - 1]).c_str(),
                lr[b - 1]);
  return text;
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
  if (t.revision != revision_ || t.x_lo != x_lo || t.x_hi != x_hi || t.columns != columns) {
    const auto thinning = series == CurveSeries::Smoothed ? Thinning::Means : Thinning::Extremes;
    auto& blocks = blocks_[static_cast<size_t>(series)];
    blocks.catch_up(steps, values(series));
    t = {revision_, x_lo, x_hi, columns,
         thin_curve(steps, values(series), x_lo, x_hi, columns, thinning, &blocks)};
  }
  return t.kept;
}

}  // namespace mae::studio
