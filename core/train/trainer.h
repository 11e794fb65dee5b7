// Why: one MAE training run that advances one optimizer step at a time. The CLI drives it
// in a loop, the app drives it from a background thread (see run_control.h). Every random
// draw after initialization comes from (seed, step), which makes CPU resumes exact. With a
// Communicator it is one rank of a data-parallel run: each rank takes its slice of every
// global batch and of its mask noise, and the ranks average their gradients, so R ranks of
// batch B follow the same path as one rank of batch R x B.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "data/batch_loader.h"
#include "data/dataset.h"
#include "io/metrics_record.h"
#include "model/mae_model.h"
#include "recipe/train_config.h"
#include "train/captured_step.h"
#include "train/device_readback.h"
#include "train/optimizer.h"

namespace mae {

class Communicator;
class GradientBuckets;

// What the machine that resumes a run decides, not the run: the device it trains on, the
// loader threads that feed it, and how its steps run there. A run saved on a cluster's GPU may
// go on on a laptop's CPU, and each rank of a resumed multi-GPU run on its own GPU (the
// checkpoint names rank 0's). Empty, 0 or unset: the checkpoint's.
struct ResumeHere {
  std::string device;
  int64_t loader_workers = 0;
  std::optional<bool> bf16 = std::nullopt, cpu_bf16 = std::nullopt, cuda_graphs = std::nullopt,
                      crops_on_device = std::nullopt;
};

// Every choice of `train` that ResumeHere carries, as the app and a sweep go on with a run.
ResumeHere resume_as(const TrainConfig& train);

// The saved run's config with `here`'s choices: what the resumed run goes on with.
TrainConfig going_on_with(TrainConfig saved, const ResumeHere& here);

class Trainer {
 public:
  // `comm`, when given, makes this one rank of a data-parallel run of train.ranks ranks.
  Trainer(const MaeConfig& model, const TrainConfig& train, std::shared_ptr<const Dataset> dataset,
          std::shared_ptr<Communicator> comm = nullptr);
  ~Trainer();
  // Continues the run saved in `checkpoint` (model, optimizer, step, configs) with `here`'s
  // device, loader threads and step choices. total_steps > 0 replaces the saved total (to
  // train longer). With `comm`, every rank reads the same file and the run goes on with comm's
  // number of ranks.
  static std::unique_ptr<Trainer> resume(const std::string& checkpoint,
                                         std::shared_ptr<const Dataset> dataset,
                                         int64_t total_steps = 0,
                                         std::shared_ptr<Communicator> comm = nullptr,
                                         const ResumeHere& here = {});

  // Asks the run to stop; on several ranks the request travels with the next step's
  // gradients, so every rank stops after the same step (see StepMetrics::stop_requested).
  void request_stop() { stop_requested_ = true; }
  // On the CPU, called on the training thread after each micro-batch of a step but the last:
  // the place to save, pause or stop inside a long step (ViT-B/16's first step on this CPU
  // is 32 micro-batches of about a minute each). Returning false abandons the step: the
  // weights, the optimizer and the step count stay, and the next step() loads the same
  // batches again, so the run goes on as if it had not been interrupted. With ranks, every
  // rank abandons the step when any one's callback returns false.
  void set_between_micro_batches(std::function<bool()> carry_on) {
    between_micro_batches_ = std::move(carry_on);
  }
  // Whether the last step() was abandoned between micro-batches (on every rank alike).
  bool step_abandoned() const { return step_abandoned_; }
  // How long the last step() took on the calling thread, its saves and pauses between
  // micro-batches left out; -1 before the first and after an abandoned one. What a thread tuner
  // compares (StepMetrics::step_ms is the device's pace, known a step late on a GPU).
  double last_call_ms() const { return last_call_ms_; }
  // On the CPU, the micro-batches of the step under way that are done (0 between steps);
  // read from any thread.
  int64_t micro_batches_done() const { return micro_batches_done_.load(); }
  // With several ranks, whether the gradient all-reduce starts during backward (the
  // default) or after it; for measuring what the overlap gains.
  void overlap_communication(bool overlap);

  // Queues one optimizer step and returns the metrics of the steps whose results have come
  // back since the last call, oldest first. On the CPU, and with ranks, that is this step.
  // On one GPU the loss is read back while the next step runs, so it is usually the step
  // before (nothing after the first call); drain() waits for the rest.
  std::vector<StepMetrics> step();
  std::vector<StepMetrics> drain();
  bool done() const { return step_ >= train_.total_steps; }
  // For a run that takes no more steps (stopped, finished): frees the batches a GPU run
  // prefetched for its next step (ViT-B/16's 4096 images are 2.4 GiB). Saving still works.
  void release_next_inputs() { next_inputs_.reset(); }
  // Atomic write of model + optimizer + configs + step. Waits for the steps in flight; their
  // metrics come with the next step() or drain().
  void save(const std::string& path);

  // Optimizer steps queued so far; the weights include them all.
  int64_t current_step() const { return step_; }
  // Whether the last queued step's metrics are still on their way (on one GPU, until the
  // next step() or drain()): last_good_loss() is then an older step's.
  bool step_in_flight() const { return !pending_.empty(); }
  double last_good_loss() const { return last_good_loss_; }
  // The run's identity: drawn for a new run, the checkpoint's for a resumed one.
  uint64_t run_id() const { return run_id_; }
  int64_t nonfinite_steps() const { return nonfinite_steps_; }
  // Empty until the run decides: from which step the step is a CUDA graph, or why it is not.
  // Runs on the CPU, on several ranks, or with cuda_graphs off stay eager and say nothing.
  const std::string& graph_note() const { return graph_note_; }
  const MaeConfig& model_config() const { return model_config_; }
  const TrainConfig& train_config() const { return train_; }
  MaeModel& model() { return model_; }

 private:
  // A queued step whose loss and skip flag are on their way back.
  struct PendingStep {
    StepMetrics metrics;
    std::chrono::steady_clock::time_point started;
    DeviceReadback readback;
  };

  void start_loader();  // at the first step(), from step_
  // On a GPU, the next step's batch loaded and its copy queued while this one runs. A failure
  // to load it belongs to the next step, which rethrows it.
  void prefetch_next_inputs();
  // The metrics of the pending steps that have come back (all of them with wait_all), and
  // those a save() collected.
  std::vector<StepMetrics> collect(bool wait_all);
  StepMetrics resolve(PendingStep& pending);
  // One micro-batch's loss, under bf16 autocast where the run asks for it.
  at::Tensor micro_batch_loss(const at::Tensor& images, const at::Tensor& noise);
  // This rank's batches and mask noise of micro-batches [first_micro, first_micro + count)
  // of optimizer step `step`, on the device.
  StepInputs load_inputs(int64_t step, int64_t first_micro, int64_t count);
  // A GPU step's inputs: the prefetched ones, or loaded now.
  StepInputs take_inputs();
  // A CPU step, its micro-batches loaded one at a time.
  StepOutputs cpu_step();
  StepOutputs launch(const StepInputs& in);  // eager, captured now, or replayed
  StepOutputs data_parallel_step(StepMetrics* m);
  // Forward and backward of every micro-batch, the skip flag and the fused update, all queued
  // on the device with nothing read back: what a CUDA graph captures. On the CPU, empty
  // outputs (no loss) when between_micro_batches_ abandoned the step.
  StepOutputs device_step(const StepInputs& in);
  using MicroBatchSource = std::function<std::pair<at::Tensor, at::Tensor>(int64_t micro)>;
  StepOutputs device_step(const MicroBatchSource& micro_batch);  // images and mask noise
  // After `done` micro-batches of a CPU step: false when the step is to be abandoned.
  bool carry_on_after(int64_t done);
  struct RanksAgree {
    bool finite = true, carry_on = true;
  };
  RanksAgree ranks_agree_after_forward(int64_t micro, bool finite);
  void adopt_rank_zero_weights();
  int rank() const;

  MaeConfig model_config_;
  TrainConfig train_;
  std::shared_ptr<const Dataset> dataset_;
  MaeModel model_{nullptr};
  std::vector<NamedParameter> params_;
  std::unique_ptr<FusedAdamW> optimizer_;
  std::unique_ptr<BatchLoader> loader_;
  int64_t skipped_files_before_ = 0;  // by loaders let go when a step was abandoned
  int64_t step_ = 0;
  double last_good_loss_ = 0.0;
  uint64_t run_id_;
  int64_t nonfinite_steps_ = 0;
  std::shared_ptr<Communicator> comm_;
  std::unique_ptr<GradientBuckets> buckets_;
  // Eager steps first: cuBLAS, cuDNN and the allocator settle before the step is captured.
  static constexpr int64_t kEagerStepsBeforeCapture = 3;
  int64_t eager_steps_ = 0;
  std::unique_ptr<CapturedStep> graph_;
  std::optional<StepInputs> next_inputs_;  // on a GPU, the next step's, queued during this one
  at::Tensor step_noise_;                  // step_mask_noise of step_noise_step_
  int64_t step_noise_step_ = -1;
  std::exception_ptr prefetch_error_;
  std::deque<PendingStep> pending_;
  std::vector<StepMetrics> resolved_;  // came back during a save(), not yet handed out
  std::chrono::steady_clock::time_point last_resolved_;
  std::string graph_note_;
  std::atomic<bool> stop_requested_{false};
  std::function<bool()> between_micro_batches_;
  std::atomic<int64_t> micro_batches_done_{0};
  bool step_abandoned_ = false;
  double last_call_ms_ = -1;
  bool adopted_rank_zero_weights_ = false;
  std::chrono::steady_clock::duration time_outside_step_{};  // in between_micro_batches_
  std::chrono::steady_clock::duration data_wait_{};          // since the last step was queued
};

// How a run reads its data: pictures decoded once, shrunk to the crop-faithful size for
// this model and crop range (crop_faithful_short_side), cached in memory and on disk, with
// the first pass on as many threads as the loader has.
DataOptions training_data_options(const MaeConfig& model, const TrainConfig& train);

// The loader a run uses: its batch, seed, workers, crop range, flip, the model's input size
// and normalization, and what it hands over: normalized batches for the CPU, uint8 pixels in
// pinned memory for a GPU (train.device resolved), or packed crops with crops_on_device.
LoaderConfig training_loader_config(const MaeConfig& model, const TrainConfig& train);

// Noise for the masks of every image of optimizer step `step` over its micro-batches and
// ranks, in the order the loader streams them: a pure function of the seed, so evaluation and
// resume see the same masks, and K micro-batches of B/K images, or R ranks of B/R, cut the
// noise one batch of B draws.
at::Tensor step_mask_noise(const TrainConfig& train, const MaeConfig& model, int64_t step);
// The rows of micro-batch `micro` on rank `rank`.
at::Tensor micro_batch_noise(const at::Tensor& step_noise, const TrainConfig& train, int64_t micro,
                             int64_t rank);

}  // namespace mae
