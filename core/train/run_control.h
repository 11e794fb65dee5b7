// Why: the app trains in the background and steers the run with requests the trainer reads
// between steps, and on the CPU also between the micro-batches of a step: start, pause,
// resume, stop, save. Pause waits on a condition variable; stop returns within one step
// (one micro-batch on the CPU); the owner never blocks on a running step.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "train/trainer.h"

namespace mae {

enum class RunState { Ready, Running, Paused, Finished, Stopped, Failed };
std::string to_string(RunState state);

struct RunCallbacks {
  std::function<void(const StepMetrics&)> on_step;     // from the trainer thread
  std::function<void(const std::string&)> on_message;  // saves, warnings, errors
  // Called from the trainer thread before the first step, every `snapshot_every` steps
  // and at the end, with the trainer between steps: the place to copy weights or render
  // evaluation images without racing the optimizer.
  std::function<void(Trainer&)> on_snapshot;
  int64_t snapshot_every = 25;
  // Asked from the trainer thread before each step, with how long the last step took (in ms,
  // negative before the first): the intra-op threads the next may use on the CPU (0 leaves
  // them as they are). The app gives up a core while its explorer computes beside a CPU run,
  // and follows what is fastest beside other work (StepThreadTuner).
  std::function<int(double last_step_ms)> threads_for_next_step;
  // From the trainer thread as a pause begins, before it waits: what the caller buffers (the
  // metrics file's last lines) can be written, as a paused run may stay paused for hours.
  std::function<void()> on_pause;
};

class TrainingRun {
 public:
  TrainingRun(std::unique_ptr<Trainer> trainer, RunCallbacks callbacks);
  ~TrainingRun();  // requests stop and joins (within one step)

  void start();
  void request_pause();
  void request_resume();
  void request_stop();
  void request_save(const std::string& path);
  RunState state() const;
  void wait();  // until finished, stopped or failed
  // The step of the last successful save, -1 before any. Saves requested after the run
  // ended are still carried out (the thread serves them until the run is destroyed).
  int64_t saved_step() const { return saved_step_.load(); }
  // Steps taken since the last save, or since the step the run began at (a resumed run
  // starts with none). It counts a step as soon as the trainer has taken it, before its
  // metrics are read back, so quitting right after the first steps still saves them.
  int64_t unsaved_steps() const;
  // On the CPU, the micro-batches of the step under way that are done (0 between steps).
  int64_t micro_batches_done() const { return trainer_->micro_batches_done(); }

  // Consecutive non-finite steps after which the run pauses itself.
  static constexpr int kMaxNonfiniteInARow = 10;

 private:
  void loop(const std::stop_token& stop);
  void save_pending();
  void serve_saves(const std::stop_token& stop);
  // Waits while a pause is requested (between steps, or between two micro-batches of a CPU
  // step), writing the saves asked for meanwhile; false when the run is stopping.
  bool wait_out_pause(const std::stop_token& stop);
  bool stopping(const std::stop_token& stop) const;

  std::unique_ptr<Trainer> trainer_;
  RunCallbacks callbacks_;
  mutable std::mutex mutex_;
  std::condition_variable_any changed_;
  RunState state_ = RunState::Ready;
  bool pause_requested_ = false;
  bool stop_requested_ = false;  // training stops; the thread still serves saves
  std::vector<std::string> save_requests_;
  std::atomic<int64_t> saved_step_{-1};
  const int64_t first_step_;          // where the trainer began (the resumed step, or 0)
  std::atomic<int64_t> steps_taken_;  // the trainer's step, published for other threads
  std::jthread thread_;
};

}  // namespace mae
