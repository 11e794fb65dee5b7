// Why: the app's side of a background training run. The trainer thread publishes metrics,
// messages and, every few steps, a snapshot (the fixed evaluation batch reconstructed with
// a fixed mask seed, queued on the device and read back behind an event) plus a copy of the
// weights for the inference worker. The UI thread only swaps these out under a short lock:
// it never waits for a step or for the GPU.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "inference_worker.h"
#include "io/metrics_record.h"
#include "published_weights.h"
#include "snapshot.h"
#include "train/run_control.h"

namespace mae::studio {

// The run as the app shows it: the trainer's RunState, plus the data stage before the
// first step, and Idle when no run exists.
enum class SessionState { Idle, Preparing, Ready, Running, Paused, Finished, Stopped, Failed };
std::string to_string(SessionState state);

// Where the curve that led to a resumed checkpoint may be: the metrics.jsonl beside it, whose
// line for the checkpoint's step must have its loss to be its run's. `checkpoint` is the one
// the window opened; the file may have been saved again since, and the session reads it anew.
struct CurveSource {
  std::string metrics_path;
  CheckpointMark checkpoint;
};

struct TrainingRequest {
  MaeConfig model;
  TrainConfig train;
  int64_t eval_images = 6;
  uint64_t eval_mask_seed = 1234;
  int64_t snapshot_every = 20;
  // Continue the run saved here (weights, optimizer, step) instead of starting afresh.
  std::string resume_from;
  // The run's curve, a line a step, as `mae train` writes it (none when empty); continued
  // from the resumed step when `continues_metrics` (the run resumed is the one logged there).
  std::string metrics_path;
  bool continues_metrics = false;
  // The curve that led to the checkpoint resumed: read on the session's thread (a long run's
  // file takes a while), handed to the UI before any step, and written first when the file
  // starts over (the checkpoint was saved in another folder), so the new file holds it all.
  std::optional<CurveSource> history;
};

// What the trainer thread produced since the last poll.
struct SessionNews {
  std::vector<StepMetrics> history;  // the resumed checkpoint's curve, before any step
  std::vector<StepMetrics> metrics;  // this run's steps
  std::vector<std::string> messages;
};

class TrainingSession {
 public:
  // Builds the trainer (opening the data can take a moment) on a background thread, then
  // trains. `worker` receives the weights with each snapshot; it must outlive the session.
  // `previous` (a run that is over) is destroyed on the session's own thread first, so its
  // last save completes without holding up the UI.
  TrainingSession(TrainingRequest request, InferenceWorker* worker,
                  std::unique_ptr<TrainingSession> previous = nullptr);
  ~TrainingSession();  // stops within one step and joins

  void pause();
  void resume();
  void stop();
  void save(const std::string& path);
  // Whether snapshots also hand the weights to the inference worker (the explorer).
  void set_publish_weights(bool publish) { publish_weights_ = publish; }
  // On the CPU: the intra-op threads each step may use (0: all), while a sweep or probe
  // computes beside the run; the explorer's worker takes one more while it computes.
  void share_cores(int threads) { cores_ = threads; }
  // On the CPU: the threads the steps run on and the most they were allowed, where they run on
  // fewer because that was faster beside other busy processes (StepThreadTuner); {0, 0} else.
  struct GivenUpThreads {
    int used = 0, allowed = 0;
  };
  GivenUpThreads given_up_threads() const;

  // What the data stage is doing while preparing ("indexing 312 files", "first pass: ...").
  std::string data_stage() const;
  // "preparing" until the trainer exists, then the run's state.
  SessionState state() const;
  bool active() const;  // preparing, running or paused
  // Steps the trainer has taken since the last save (or since the step it resumed at).
  int64_t unsaved_steps() const;
  bool paused() const;
  // On the CPU, the micro-batches of the step under way that are done (0 between steps).
  int64_t micro_batches_done() const;

  // UI thread: what arrived since the last call. Snapshots whose pictures have landed join
  // the history here; the check never waits.
  SessionNews poll();
  // The snapshot history, oldest first (at most kMaxSnapshots).
  std::vector<std::shared_ptr<const TrainingSnapshot>> snapshots() const;
  const TrainingRequest& request() const { return request_; }
  // The first image of the evaluation batch ((C,H,W) in [0,1], as the data gives it) and
  // what it is, once the data is open; the image is undefined before, or when none could be
  // read.
  struct LabelledImage {
    at::Tensor image;
    std::string label;
  };
  LabelledImage first_eval_image() const;
  // The weights the last snapshot handed the explorer (null before the first, or while the
  // explorer does not follow training): what a probe of the model on screen measures.
  std::shared_ptr<const PublishedWeights> latest_weights() const;

  static constexpr size_t kMaxSnapshots = 64;

 private:
  void prepare_and_run(const std::stop_token& stop);
  void stopped_while_preparing();
  void on_snapshot(Trainer& trainer);
  // Goes on from the checkpoint `resumed` when the request continues the folder's curve;
  // `history` goes first into a file that starts over.
  void open_metrics_log(const CheckpointMark& resumed, const std::vector<StepMetrics>& history);
  void log_metrics(const StepMetrics& m);
  void flush_metrics_log();                                         // at each snapshot and pause
  void say_if_metrics_failed();                                     // once; the run goes on
  void say_unreadable(const std::vector<std::string>& unreadable);  // files the data left out

  TrainingRequest request_;
  InferenceWorker* worker_;
  std::unique_ptr<TrainingSession> previous_;
  std::vector<at::Tensor> eval_images_;
  std::atomic<bool> publish_weights_{true};
  std::atomic<int> cores_{0};
  std::atomic<int> threads_used_{0}, threads_allowed_{0};  // the tuner's choice, trials aside
  // Opened before the run starts, then written by the trainer thread alone.
  std::unique_ptr<MetricsLog> metrics_log_;

  mutable std::mutex mutex_;
  LabelledImage first_eval_image_;
  std::shared_ptr<const PublishedWeights> latest_weights_;
  std::vector<StepMetrics> new_history_, new_metrics_;
  std::vector<std::string> new_messages_;
  std::deque<std::shared_ptr<const TrainingSnapshot>> snapshots_;
  std::deque<PendingSnapshot> pending_snapshots_;  // queued by the trainer, not landed yet
  bool preparing_ = true;
  std::string data_stage_;
  bool failed_ = false;
  bool pause_before_start_ = false;
  std::vector<std::string> saves_before_start_;
  std::unique_ptr<TrainingRun> run_;
  std::jthread starter_;
};

}  // namespace mae::studio
