// Why: the thread count a CPU step runs on, chosen from the step times measured as the run goes,
// since what other processes take of the cores is not known in advance.
#include "train/step_thread_tuner.h"

#include <algorithm>

namespace mae {

namespace {
double median(std::vector<double> values) {
  std::nth_element(values.begin(), values.begin() + static_cast<long>(values.size() / 2),
                   values.end());
  return values[values.size() / 2];
}
}  // namespace

int StepThreadTuner::threads(int fewer) const { return std::max(1, ceiling_ - fewer); }

void StepThreadTuner::begin_trial(bool fewer) {
  // Fewer threads, or one more; the other way where that one is out of reach.
  const bool can_drop = threads(fewer_) > 1, can_add = fewer_ > 0;
  if (!can_drop && !can_add) return;
  fewer = fewer ? can_drop : !can_add;
  trial_fewer_ = fewer ? std::min(fewer_ + drop_by_, ceiling_ - 1) : fewer_ - 1;
  trial_counts_ = false;
  trial_ms_.clear();
}

void StepThreadTuner::end_trial(Clock::time_point now) {
  const double settled = median(settled_ms_), trial = median(trial_ms_);
  const bool tried_fewer = trial_fewer_ > fewer_;
  if (trial < (1 - kBetterBy) * settled) {
    next_fewer_ = tried_fewer;
    if (tried_fewer) drop_by_ = 1;
    fewer_ = trial_fewer_;
    settled_ms_ = trial_ms_;
    usual_ms_ = trial;
    retry_ = kFirstRetry;
  } else {
    next_fewer_ = !tried_fewer;
    if (tried_fewer) drop_by_ = std::min(2 * drop_by_, ceiling_ - 1);
    usual_ms_ = settled;
    retry_ = std::min<Clock::duration>(2 * retry_, kLongestRetry);
  }
  trial_fewer_ = -1;
  next_trial_ = now + retry_;
}

int StepThreadTuner::threads_for_next_step(int ceiling, double last_step_ms,
                                           Clock::time_point now) {
  ceiling = std::max(1, ceiling);
  if (ceiling != ceiling_) {
    // Times taken under another ceiling compare with nothing here but that ceiling's own,
    // when it had the same choice; the choice is kept (the other work is likely still there),
    // through a spell at one thread too.
    if (ceiling_ > 1 && usual_ms_ > 0) learnt_[ceiling_] = {fewer_, usual_ms_, next_trial_, retry_};
    ceiling_ = ceiling;
    if (ceiling > 1) fewer_ = std::min(fewer_, ceiling - 1);
    trial_fewer_ = -1;
    settled_ms_.clear();
    usual_ms_ = 0;
    if (const auto it = learnt_.find(ceiling); it != learnt_.end() && it->second.fewer == fewer_) {
      usual_ms_ = it->second.usual_ms;
      next_trial_ = it->second.next_trial;
      retry_ = it->second.retry;
    }
    return threads(fewer_);
  }
  if (ceiling == 1) return 1;
  if (last_step_ms >= 0) {
    if (trial_fewer_ < 0) {
      settled_ms_.push_back(last_step_ms);
      if (settled_ms_.size() > static_cast<size_t>(kSettledSteps))
        settled_ms_.erase(settled_ms_.begin());
    } else if (trial_counts_) {
      trial_ms_.push_back(last_step_ms);
    }
    if (trial_fewer_ >= 0) trial_counts_ = true;
  }
  // A trial ends after its steps, or at once when a step of it is twice the usual time: a
  // thread past the free cores costs several times a step, and once is enough to tell.
  if (trial_fewer_ >= 0 && (trial_ms_.size() >= static_cast<size_t>(kTrialSteps) ||
                            (!trial_ms_.empty() && trial_ms_.back() > 2 * median(settled_ms_))))
    end_trial(now);
  if (trial_fewer_ < 0 && settled_ms_.size() >= static_cast<size_t>(kSettledSteps)) {
    const double now_ms = median(settled_ms_);
    const bool first = usual_ms_ == 0;
    const bool slower = !first && now_ms > kJump * usual_ms_;
    const bool faster = !first && now_ms * kJump < usual_ms_;
    if (first || slower || faster || now >= next_trial_) {
      if (slower || faster) retry_ = kFirstRetry;
      // Slower steps: other work came, and fewer threads may help; faster: it went.
      begin_trial(first || slower || (!faster && next_fewer_));
      if (trial_fewer_ < 0) {  // nothing to try at this ceiling
        usual_ms_ = now_ms;
        next_trial_ = now + retry_;
      }
    }
  }
  return threads(trial_fewer_ >= 0 ? trial_fewer_ : fewer_);
}

}  // namespace mae
