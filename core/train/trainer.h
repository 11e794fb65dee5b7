// Why: one MAE training run that advances one optimizer step at a time. The CLI drives it
// in a loop, the app drives it from a background thread (see run_control.h). Every random
// draw after initialization comes from (seed, step), which makes CPU resumes exact.
#pragma once

#include <memory>
#include <string>

#include "data/batch_loader.h"
#include "data/dataset.h"
#include "model/mae_model.h"
#include "recipe/train_config.h"
#include "train/optimizer.h"

namespace mae {

struct StepMetrics {
  int64_t step = 0;  // optimizer steps completed after this one
  double loss = 0.0;
  double lr = 0.0;
  double images_per_sec = 0.0;
  double step_ms = 0.0;
  int64_t memory_bytes = 0;
  bool nonfinite = false;  // the step was skipped; weights are unchanged
  int64_t skipped_files = 0;
};

class Trainer {
 public:
  Trainer(const MaeConfig& model, const TrainConfig& train, std::shared_ptr<const Dataset> dataset);
  // Continues the run saved in `checkpoint` (model, optimizer, step, configs).
  // total_steps > 0 replaces the saved total (to train longer).
  static std::unique_ptr<Trainer> resume(const std::string& checkpoint,
                                         std::shared_ptr<const Dataset> dataset,
                                         int64_t total_steps = 0);

  StepMetrics step();
  bool done() const { return step_ >= train_.total_steps; }
  // Atomic write of model + optimizer + configs + step.
  void save(const std::string& path);

  int64_t current_step() const { return step_; }
  double last_good_loss() const { return last_good_loss_; }
  int64_t nonfinite_steps() const { return nonfinite_steps_; }
  const MaeConfig& model_config() const { return model_config_; }
  const TrainConfig& train_config() const { return train_; }
  MaeModel& model() { return model_; }

 private:
  void start_loader();  // at the first step(), from step_

  MaeConfig model_config_;
  TrainConfig train_;
  std::shared_ptr<const Dataset> dataset_;
  MaeModel model_{nullptr};
  std::vector<NamedParameter> params_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  std::unique_ptr<BatchLoader> loader_;
  int64_t step_ = 0;
  double last_good_loss_ = 0.0;
  int64_t nonfinite_steps_ = 0;
};

// How a run reads its data: pictures decoded once, shrunk to the crop-faithful size for
// this model and crop range (crop_faithful_short_side), cached in memory and on disk, with
// the first pass on as many threads as the loader has.
DataOptions training_data_options(const MaeConfig& model, const TrainConfig& train);

// The loader a run uses: its batch, seed, workers, crop range, flip, and the model's input
// size and normalization.
LoaderConfig training_loader_config(const MaeConfig& model, const TrainConfig& train);

// Noise for the masks of optimizer step `step`, micro-batch `micro`: a pure function of the
// seed, so evaluation and resume see the same masks.
at::Tensor step_mask_noise(const TrainConfig& train, const MaeConfig& model, int64_t batch,
                           int64_t step, int64_t micro);

}  // namespace mae
