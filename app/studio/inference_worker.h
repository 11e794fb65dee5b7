// Why: interactive inspection must never block the UI. One thread owns a private copy of a
// model (from a checkpoint or the trainer's latest weights) and serves the newest request
// only: while the user drags the ratio slider, stale requests are dropped, not queued. With
// a GPU the copy lives there and runs on a high-priority stream of its own, beside a
// training run's stream rather than behind it.
#pragma once

#include <ATen/core/Tensor.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "image_view.h"
#include "infer/attention.h"
#include "infer/pipeline_trace.h"
#include "infer/reconstruct.h"
#include "io/model_format.h"
#include "io/safetensors.h"
#include "model/config.h"
#include "recipe/train_config.h"
#include "snapshot.h"
#include "train/device_readback.h"
#include "util/file_identity.h"
#include "util/read_progress.h"

namespace mae::studio {

struct ExploreRequest {
  // (C, H, W) bytes, or floats in [0,1]; any size and 1 or 3 channels: fitted by the worker.
  at::Tensor image;
  MaskRequest mask;
  std::vector<double> sweep_ratios;  // extra reconstructions, same seed and strategy
  bool attention = false;            // also the encoder's attention for this mask
  bool stages = false;               // also the step-through of the pipeline
  uint64_t id = 0;
  bool wants_extras() const { return !sweep_ratios.empty() || attention || stages; }
};

struct ExploreViews {
  ImageView masked, reconstruction, pasted, original;
  at::Tensor mask;  // (grid_h, grid_w), 1 = removed
  double masked_mse = 0.0;
  double removed_pixel_mse = 0.0;  // on the pictures' 0-1 scale (Reconstruction's)
};

// Where the time from asking to seeing went: waiting for the worker (a checkpoint still loading,
// an older request), fitting the picture to the model (once per picture and model; about a
// second for a 96-MP photo on two CPU cores), and the model's reconstruction.
struct ExploreTiming {
  double waited_ms = 0.0;
  double fit_ms = 0.0;
  double model_ms = 0.0;
  double total_ms = 0.0;  // from submit() to the result being ready
};

struct ExploreResult {
  uint64_t id = 0;
  ExploreViews main;
  std::vector<std::pair<double, ExploreViews>> sweep;
  std::shared_ptr<const EncoderAttention> attention;  // when requested
  std::vector<PipelineStage> stages;                  // when requested
  std::vector<ImageView> stage_views;                 // one per stage
  bool extras_done = false;  // the sweep, attention and stages have arrived (or none wanted)
  ExploreTiming timing;
  std::string error;
};

struct ModelInfo {
  bool loaded = false;
  MaeConfig config;
  std::string source;  // checkpoint path or "training step N"
  int64_t step = 0;
  double loss = 0.0;
  uint64_t version = 0;
  bool norm_pix_guessed = false;             // from an authors' file name
  std::optional<double> trained_mask_ratio;  // where the checkpoint says
  std::optional<TrainConfig> train;          // our checkpoints with a training state
  std::string device;                        // where the worker's copy runs: "cuda", "cpu"
  // The file's layout; none for a training run's weights, which have a step and a loss.
  std::optional<ModelFormat> format;
  // The file as it was when the worker read it (none for a folder or training's weights): a
  // save since then is a change, a save before it is what is shown.
  std::optional<FileIdentity> file;
};

// A checkpoint being opened: shown while it loads, so a large file never looks like a hang.
struct LoadStatus {
  std::string path;
  int64_t bytes = 0;  // size on disk (a folder: its files together)
  int64_t bytes_read = 0;
  int64_t tensors = 0;  // built so far
  std::chrono::steady_clock::time_point since;
};

ExploreViews views_of(const Reconstruction& r);

class InferenceWorker {
 public:
  InferenceWorker();
  ~InferenceWorker();
  InferenceWorker(const InferenceWorker&) = delete;
  InferenceWorker& operator=(const InferenceWorker&) = delete;

  // Loads a checkpoint on the worker thread; errors arrive through take_message().
  void load_checkpoint(const std::string& path);
  // Replaces the weights (e.g. the trainer's latest), copied by the caller. Copies the caller
  // queued on a GPU come with `ready`, a fence after them on the caller's stream: the worker's
  // stream waits for it on the device, never the caller.
  void set_weights(const MaeConfig& config, NamedTensors weights, const std::string& source,
                   int64_t step, double loss, std::shared_ptr<const StreamFence> ready = nullptr);
  // Weights set with a NaN loss (their step's loss was still on the GPU) take `loss` once it
  // arrives, if they are still the weights of `step`.
  void settle_loss(int64_t step, double loss);
  // Latest wins: a request not yet started is replaced.
  void submit(ExploreRequest request);

  // Images reconstructed into a snapshot whenever a checkpoint is loaded.
  void set_gallery(std::vector<at::Tensor> images, double ratio, uint64_t mask_seed);
  std::optional<TrainingSnapshot> take_checkpoint_snapshot();

  std::optional<ExploreResult> take_result();
  std::optional<std::string> take_message();
  ModelInfo model_info() const;
  bool busy() const;
  // Busy now, or done with a job less than `window` ago: between two moves of a dragged
  // slider the worker is idle for a few milliseconds only.
  bool computed_within(std::chrono::milliseconds window) const;
  bool computes_on_cpu() const { return device_ == "cpu"; }
  // The checkpoint being opened now, if any.
  std::optional<LoadStatus> loading() const;
  // While a training run uses the CPU that this worker's copy runs on, the worker computes
  // on one core (see intra_op_threads).
  void share_cpu_with_training(bool shared) { cpu_shared_with_training_ = shared; }

 private:
  struct PendingWeights {
    MaeConfig config;
    NamedTensors weights;
    std::string source;
    int64_t step = 0;
    double loss = 0.0;
    bool norm_pix_guessed = false;
    std::optional<double> trained_mask_ratio;
    std::optional<TrainConfig> train;
    std::shared_ptr<const StreamFence> ready;
    std::optional<ModelFormat> format = std::nullopt;  // none: a training run's
    std::optional<FileIdentity> file = std::nullopt;   // of the checkpoint read
  };
  void loop(const std::stop_token& stop);
  void apply_weights(PendingWeights pending);
  // The picture as the model takes it (its channels, resized and centre-cropped to its
  // input), kept for the next request on the same picture: on every slider move a 108-MP
  // photo took 350 ms to shrink, five times over with the ratio sweep, and its grey copy was
  // made on the UI thread.
  at::Tensor fitted_to_model(const at::Tensor& image);
  ExploreResult compute(const ExploreRequest& request);
  // The sweep, attention and stages; left unfinished when a newer request arrives, which
  // then comes first (on the CPU ViT-B/16's sweep alone takes half a second).
  void add_extras(const ExploreRequest& request, ExploreResult* result);
  // The sweep's reconstruction at sweep_ratios[i]: its masks come from the seed and the
  // strategy, never the slider's ratio or a painted mask, so while the picture, the seed, the
  // strategy and the weights stay, a moved slider takes the ones already made (also those of
  // a sweep a newer request cut short) instead of making them again.
  const ExploreViews& sweep_view(const ExploreRequest& request, size_t i);
  bool newer_request_waiting() const;
  // On the CPU, one thread for a small model or beside a CPU training run, else all. Each
  // app thread that runs ATen ops leads an OpenMP team of its own; once libgomp counts more
  // of their threads than cores it stops spinning between parallel regions, and every one
  // of a small model's hundreds of short regions waits for a woken thread, in this worker
  // and in the trainer alike (the UI thread keeps to one thread for the same reason). With
  // both, in the app on 2 cores, slider to reconstruction: fmnist-tiny 21.5 -> 2.2 ms,
  // rgb-small 34 -> 4.5 ms; ViT-B/16's few long products still gain from both cores (120
  // against 210 ms in `mae bench`).
  int intra_op_threads() const;

  mutable std::mutex mutex_;
  std::condition_variable_any changed_;
  std::optional<std::string> pending_checkpoint_;
  std::optional<PendingWeights> pending_weights_;
  std::optional<ExploreRequest> pending_request_;
  std::chrono::steady_clock::time_point submitted_at_;
  std::optional<ExploreResult> result_;
  at::Tensor fitted_source_, fitted_;  // fitted_to_model's last picture, on this thread only
  struct SweepKey {
    at::Tensor fitted;
    uint64_t seed = 0;
    MaskStrategy strategy = MaskStrategy::Random;
    uint64_t weights_version = 0;
    std::vector<double> ratios;
  };
  std::optional<SweepKey> sweep_key_;  // what sweep_ was made for, on this thread only
  std::vector<ExploreViews> sweep_;    // its ratios' views in order, as far as made so far
  std::vector<at::Tensor> gallery_;
  double gallery_ratio_ = 0.75;
  uint64_t gallery_seed_ = 0;
  std::optional<TrainingSnapshot> checkpoint_snapshot_;
  std::vector<std::string> messages_;
  ModelInfo info_;
  std::optional<LoadStatus> loading_;
  ReadProgress read_progress_;  // the worker thread's reads count here
  bool working_ = false;
  std::chrono::steady_clock::time_point last_job_end_;
  std::atomic<bool> cpu_shared_with_training_{false};
  const int all_threads_;     // the intra-op threads the worker uses on its own
  const std::string device_;  // "cuda" when there is a GPU, else "cpu"
  // Touched only by the worker thread.
  MaeModel model_{nullptr};
  std::jthread thread_;
};

}  // namespace mae::studio
