// Why: the run's own figures on its overlap, from the metrics each step already has.
#include "train/allreduce_tally.h"

#include <cstdio>

namespace mae {

void AllReduceTally::add(const StepMetrics& m) {
  if (m.allreduce_buckets == 0 || m.nonfinite) return;
  ++steps_;
  buckets_ = m.allreduce_buckets;
  if (m.buckets_started_in_backward == m.allreduce_buckets) ++overlapped_steps_;
  waited_ms_ += m.allreduce_ms;
}

std::string AllReduceTally::summary() const {
  if (steps_ == 0) return "";
  char text[200];
  std::snprintf(text, sizeof text,
                "all-reduce of %lld bucket%s a step: %s started during backward in %lld of %lld "
                "steps; %.1f ms a step waited after backward",
                static_cast<long long>(buckets_), buckets_ == 1 ? "" : "s",
                buckets_ == 1 ? "the bucket" : "every bucket",
                static_cast<long long>(overlapped_steps_), static_cast<long long>(steps_),
                waited_ms_ / static_cast<double>(steps_));
  return text;
}

}  // namespace mae
