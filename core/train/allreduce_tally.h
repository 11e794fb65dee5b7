// Why: a data-parallel step is only as fast as the gradient all-reduce it hides behind
// backward; whether each bucket really started inside backward, and how long the step still
// waited after it, is what a user of --ranks or --gpus needs to judge the overlap (and what
// --no-overlap gives up), said once at the end of the run.
#pragma once

#include <cstdint>
#include <string>

#include "io/metrics_record.h"

namespace mae {

class AllReduceTally {
 public:
  // A step's metrics; those of a single-process run (no buckets) and skipped steps (no
  // backward) are not counted.
  void add(const StepMetrics& m);
  // "all-reduce of 2 buckets a step: every bucket started during backward in 20 of 20 steps;
  // 1.3 ms a step waited after backward", or "" when no step was counted.
  std::string summary() const;

 private:
  int64_t steps_ = 0, overlapped_steps_ = 0, buckets_ = 0;
  double waited_ms_ = 0.0;
};

}  // namespace mae
