// Why: sums over a short window, so that a long run's early slow steps do not hide, or raise,
// what the loader does now.
#include "train/data_wait_watch.h"

#include <numeric>

namespace mae {

void DataWaitWatch::add(double data_wait_ms, double step_ms) {
  if (++seen_ <= kWarmupSteps) return;
  wait_ms_.push_back(data_wait_ms);
  step_ms_.push_back(step_ms);
  if (wait_ms_.size() > static_cast<size_t>(kSteps)) {
    wait_ms_.pop_front();
    step_ms_.pop_front();
  }
}

double DataWaitWatch::share() const {
  const double total = std::accumulate(step_ms_.begin(), step_ms_.end(), 0.0);
  return total > 0 ? std::accumulate(wait_ms_.begin(), wait_ms_.end(), 0.0) / total : 0.0;
}

bool DataWaitWatch::warn_now() {
  if (warned_ || step_ms_.size() < static_cast<size_t>(kSteps) || share() < kWarnShare)
    return false;
  warned_ = true;
  return true;
}

}  // namespace mae
