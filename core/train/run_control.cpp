// Why: requests and the run's state share one mutex and condition variable, and the trainer's step
// runs outside the lock, so a request from the UI never waits for a step.
#include "train/run_control.h"

#include <algorithm>

#include "train/device.h"
#include "util/intra_op_threads.h"
#include "util/one_line_error.h"

namespace mae {

std::string to_string(RunState state) {
  switch (state) {
    case RunState::Ready:
      return "ready";
    case RunState::Running:
      return "running";
    case RunState::Paused:
      return "paused";
    case RunState::Finished:
      return "finished";
    case RunState::Stopped:
      return "stopped";
    case RunState::Failed:
      return "failed";
  }
  return "unknown";
}

TrainingRun::TrainingRun(std::unique_ptr<Trainer> trainer, RunCallbacks callbacks)
    : trainer_(std::move(trainer)),
      callbacks_(std::move(callbacks)),
      first_step_(trainer_->current_step()),
      steps_taken_(first_step_) {}

TrainingRun::~TrainingRun() {
  request_stop();
  thread_.request_stop();  // also ends serving saves after the run
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void TrainingRun::start() {
  std::lock_guard lock(mutex_);
  if (state_ != RunState::Ready) return;
  state_ = RunState::Running;
  thread_ = std::jthread([this](const std::stop_token& stop) { loop(stop); });
}

void TrainingRun::request_pause() {
  std::lock_guard lock(mutex_);
  pause_requested_ = true;
}

void TrainingRun::request_resume() {
  {
    std::lock_guard lock(mutex_);
    pause_requested_ = false;
  }
  changed_.notify_all();
}

void TrainingRun::request_stop() {
  {
    std::lock_guard lock(mutex_);
    stop_requested_ = true;
  }
  changed_.notify_all();
}

bool TrainingRun::stopping(const std::stop_token& stop) const {
  std::lock_guard lock(mutex_);
  return stop_requested_ || stop.stop_requested();
}

void TrainingRun::request_save(const std::string& path) {
  {
    std::lock_guard lock(mutex_);
    save_requests_.push_back(path);
  }
  changed_.notify_all();
}

int64_t TrainingRun::unsaved_steps() const {
  return std::max<int64_t>(0, steps_taken_.load() - std::max(saved_step_.load(), first_step_));
}

RunState TrainingRun::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

void TrainingRun::wait() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] {
    return state_ == RunState::Finished || state_ == RunState::Stopped ||
           state_ == RunState::Failed;
  });
}

void TrainingRun::save_pending() {
  std::vector<std::string> paths;
  {
    std::lock_guard lock(mutex_);
    paths.swap(save_requests_);
  }
  for (const auto& path : paths) {
    try {
      trainer_->save(path);
      saved_step_ = trainer_->current_step();
      if (callbacks_.on_message)
        callbacks_.on_message("saved step " + std::to_string(trainer_->current_step()) + " to " +
                              path);
    } catch (const std::exception& e) {
      if (callbacks_.on_message)
        callbacks_.on_message(std::string("save failed: ") + one_line_error(e));
    }
  }
}

void TrainingRun::serve_saves(const std::stop_token& stop) {
  for (;;) {
    bool requested = false;
    {
      std::unique_lock lock(mutex_);
      // Returns with requests pending even when stopping, so "save and quit" still saves.
      requested = changed_.wait(lock, stop, [&] { return !save_requests_.empty(); });
    }
    if (!requested) return;
    save_pending();
  }
}

bool TrainingRun::wait_out_pause(const std::stop_token& stop) {
  std::unique_lock lock(mutex_);
  const auto ending = [&] { return stop_requested_ || stop.stop_requested(); };
  if (pause_requested_ && !ending() && callbacks_.on_pause) {
    lock.unlock();
    callbacks_.on_pause();
    lock.lock();
  }
  if (pause_requested_ && !ending()) {
    state_ = RunState::Paused;
    changed_.notify_all();
    while (pause_requested_ && !ending()) {
      changed_.wait(lock, stop, [&] {
        return !pause_requested_ || !save_requests_.empty() || stop_requested_;
      });
      if (!save_requests_.empty()) {
        lock.unlock();
        save_pending();
        lock.lock();
      }
    }
    if (!ending()) state_ = RunState::Running;
  }
  return !ending();
}

void TrainingRun::loop(const std::stop_token& stop) {
  DeviceStreamScope stream(trainer_->train_config().device, /*urgent=*/false);
  // Between two micro-batches of a CPU step, saves are served and a pause waits with the
  // step's gradients kept; a stop abandons the step.
  trainer_->set_between_micro_batches([this, stop] {
    save_pending();
    return wait_out_pause(stop);
  });
  auto snapshot = [&] {
    if (!callbacks_.on_snapshot) return;
    try {
      callbacks_.on_snapshot(*trainer_);
    } catch (const std::exception& e) {
      if (callbacks_.on_message)
        callbacks_.on_message(std::string("snapshot failed: ") + one_line_error(e));
    }
  };
  auto finish = [&](RunState final_state) {
    snapshot();
    trainer_->release_next_inputs();  // a new run may need the memory; saves do not
    save_pending();
    {
      std::lock_guard lock(mutex_);
      state_ = final_state;
    }
    changed_.notify_all();
  };
  int nonfinite_in_a_row = 0;
  const auto report = [&](const StepMetrics& metrics) {
    nonfinite_in_a_row = metrics.nonfinite ? nonfinite_in_a_row + 1 : 0;
    if (callbacks_.on_step) callbacks_.on_step(metrics);
    if (callbacks_.snapshot_every > 0 && metrics.step % callbacks_.snapshot_every == 0) snapshot();
    if (metrics.nonfinite && callbacks_.on_message)
      callbacks_.on_message("step " + std::to_string(metrics.step) +
                            ": non-finite loss, step skipped, weights kept");
    if (nonfinite_in_a_row >= kMaxNonfiniteInARow) {
      request_pause();
      if (callbacks_.on_message)
        callbacks_.on_message("paused after repeated non-finite losses; lower the lr");
    }
  };
  try {
    snapshot();
    while (!stopping(stop) && !trainer_->done()) {
      save_pending();
      const bool pausing = [&] {
        std::lock_guard lock(mutex_);
        return pause_requested_;
      }();
      if (pausing)  // a paused run shows its last step, not the one before
        for (const auto& metrics : trainer_->drain()) report(metrics);
      if (!wait_out_pause(stop)) break;
      if (callbacks_.threads_for_next_step)
        if (const int wanted = callbacks_.threads_for_next_step(trainer_->last_call_ms());
            wanted > 0)
          set_intra_op_threads_here(wanted);
      const auto metrics_ready = trainer_->step();
      steps_taken_ = trainer_->current_step();
      for (const auto& metrics : metrics_ready) report(metrics);
    }
    for (const auto& metrics : trainer_->drain()) report(metrics);
  } catch (const std::exception& e) {
    if (callbacks_.on_message)
      callbacks_.on_message(std::string("training failed: ") + one_line_error(e));
    finish(RunState::Failed);
    serve_saves(stop);
    return;
  }
  finish(trainer_->done() ? RunState::Finished : RunState::Stopped);
  serve_saves(stop);
}

}  // namespace mae
