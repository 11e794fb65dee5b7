// Why: a trainer hands a step's metrics back when its loss has come back, on a GPU a step
// late; tests want them all, in order, for a number of steps or the whole run.
#pragma once

#include <vector>

#include "train/trainer.h"

// The metrics of the trainer's next `steps` steps (all that are left when negative), oldest
// first, the last ones drained.
inline std::vector<mae::StepMetrics> train_steps(mae::Trainer& trainer, int64_t steps = -1) {
  std::vector<mae::StepMetrics> all;
  for (int64_t i = 0; (steps < 0 || i < steps) && !trainer.done(); ++i)
    for (const auto& m : trainer.step()) all.push_back(m);
  for (const auto& m : trainer.drain()) all.push_back(m);
  return all;
}

inline std::vector<double> train_losses(mae::Trainer& trainer, int64_t steps = -1) {
  std::vector<double> losses;
  for (const auto& m : train_steps(trainer, steps)) losses.push_back(m.loss);
  return losses;
}
