// Why: preparing the data and building the model run on the session's own thread at lower priority,
// so neither blocks the UI; the callbacks only swap results into slots the UI takes under a short
// lock.
#include "training_session.h"

#include <sys/resource.h>
#include <torch/utils.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "data/picture_fit.h"
#include "io/checkpoint.h"
#include "train/step_thread_tuner.h"
#include "util/intra_op_threads.h"
#include "util/left_out_lines.h"
#include "util/one_line_error.h"

namespace mae::studio {

TrainingSession::TrainingSession(TrainingRequest request, InferenceWorker* worker,
                                 std::unique_ptr<TrainingSession> previous)
    : request_(std::move(request)),
      worker_(worker),
      previous_(std::move(previous)),
      starter_([this](const std::stop_token& stop) { prepare_and_run(stop); }) {}

TrainingSession::~TrainingSession() {
  starter_.request_stop();
  if (starter_.joinable()) starter_.join();
  std::unique_ptr<TrainingRun> run;
  {
    std::lock_guard lock(mutex_);
    run = std::move(run_);
  }
  run.reset();  // requests stop and joins within one step
}

void TrainingSession::prepare_and_run(const std::stop_token& stop) {
  // Lower this thread's priority; the trainer, loader and OpenMP threads it creates inherit
  // it, so on a small machine the UI thread still gets the CPU when it needs it.
  setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10);
  previous_.reset();  // its pending save (the one resume_from names) is written here
  try {
    auto show_stage = [this](const DataProgress& p) {
      std::lock_guard lock(mutex_);
      data_stage_ = p.line();
      // What the ready line adds (a memory-only cache, files in formats not read) outlasts
      // the line, which the panel shows only while preparing.
      if (p.stage == DataProgress::Stage::Ready && !p.note.empty())
        new_messages_.push_back("data: " + p.note);
    };
    const auto data_options = training_data_options(request_.model, request_.train);
    auto data =
        open_dataset(request_.train.data, request_.model.in_chans, data_options, show_stage);
    data->prepare(show_stage, stop);
    if (stop.stop_requested()) return stopped_while_preparing();
    say_unreadable(data->unreadable());
    // Evaluation images: the test split for Fashion-MNIST, else the first images.
    const bool fashion_mnist = request_.train.data.rfind("fashion-mnist", 0) == 0;
    auto eval_source =
        fashion_mnist ? open_dataset("fashion-mnist:test", request_.model.in_chans) : data;
    // Each fitted to the model once, in 8 bits as PIL fits a photo; the explorer is given the
    // first as decoded and fits it itself.
    const auto& m = request_.model;
    std::string first_label;
    at::Tensor first_decoded;
    for (int64_t i = 0; i < std::min(request_.eval_images, eval_source->size()); ++i) {
      try {
        auto decoded = eval_source->load_decoded(i);
        eval_images_.push_back(fit_picture(decoded, m.in_chans, m.img_h, m.img_w));
        if (!first_decoded.defined()) first_decoded = decoded;
      } catch (const std::exception&) {
        continue;  // an unreadable file is simply not shown
      }
      if (!first_label.empty()) continue;
      // A photo arrives as training decoded it, which is not the file's size: say so, or
      // the explorer's "this 307x192 image" would contradict the file a user knows.
      first_label = fashion_mnist ? "Fashion-MNIST test #" + std::to_string(i)
                                  : eval_source->item_name(i) +
                                        ", a training picture as "
                                        "training decodes it";
      if (!fashion_mnist && data_options.short_side_cap > 0)
        first_label +=
            " (shorter side at most " + std::to_string(data_options.short_side_cap) + " px)";
    }
    if (!eval_images_.empty()) {
      std::lock_guard lock(mutex_);
      first_eval_image_ = {first_decoded, first_label};
    }
    auto trainer = request_.resume_from.empty()
                       ? std::make_unique<Trainer>(request_.model, request_.train, data)
                       : Trainer::resume(request_.resume_from, data, request_.train.total_steps,
                                         nullptr, resume_as(request_.train));
    const CheckpointMark resumed{trainer->current_step(), trainer->last_good_loss(),
                                 trainer->run_id()};
    std::vector<StepMetrics> history;
    if (request_.history) {
      // The window checked the steps against the step it read when the file was opened; a
      // save since may have reached them, and the run would train nothing and save it again.
      if (resumed.step >= request_.train.total_steps)
        throw std::runtime_error(request_.resume_from +
                                 " was saved again since it was opened and is at step " +
                                 std::to_string(resumed.step) + ": set steps above " +
                                 std::to_string(resumed.step) + " to continue it");
      history = curve_to_checkpoint(request_.history->metrics_path, resumed);
      if (resumed.step != request_.history->checkpoint.step) {
        std::lock_guard lock(mutex_);
        new_messages_.push_back(request_.resume_from + " was saved again since it was opened: " +
                                "the run goes on from its step " + std::to_string(resumed.step) +
                                ", not " + std::to_string(request_.history->checkpoint.step));
      }
    }
    open_metrics_log(resumed, history);
    if (!history.empty()) {
      std::lock_guard lock(mutex_);
      new_history_ = std::move(history);
    }
    RunCallbacks callbacks;
    callbacks.on_step = [this](const StepMetrics& m) {
      log_metrics(m);
      std::lock_guard lock(mutex_);
      new_metrics_.push_back(m);
    };
    callbacks.on_message = [this](const std::string& m) {
      std::lock_guard lock(mutex_);
      new_messages_.push_back(m);
    };
    callbacks.on_snapshot = [this](Trainer& t) { on_snapshot(t); };
    callbacks.on_pause = [this] { flush_metrics_log(); };
    callbacks.snapshot_every = request_.snapshot_every;
    // While the explorer computes beside a CPU run, its worker takes a core and the trainer
    // steps on the others: an OpenMP team with a thread squeezed out waits for it at every
    // barrier. On 2 cores, dragging the slider through fmnist-tiny batch-32 training: 4 steps
    // in 8 s without this, 29 in 1.7 s with it. A sweep or probe beside the run gets its
    // share of the cores the same way (share_cores).
    // Within that, the steps run on the threads that are fastest beside whatever else the
    // machine runs.
    if (request_.train.device == "cpu")
      callbacks.threads_for_next_step = [this, all = default_intra_op_threads(),
                                         tuner = StepThreadTuner{}](double last_step_ms) mutable {
        using namespace std::chrono_literals;
        const int told = cores_.load();
        const int shared = told > 0 ? std::min(told, all) : all;
        const bool explorer_busy = worker_->computes_on_cpu() && worker_->computed_within(300ms);
        const int allowed = explorer_busy ? std::max(1, shared - 1) : shared;
        const int threads =
            tuner.threads_for_next_step(allowed, last_step_ms, std::chrono::steady_clock::now());
        threads_used_ = tuner.settled_threads();
        threads_allowed_ = allowed;
        return threads;
      };
    auto run = std::make_unique<TrainingRun>(std::move(trainer), callbacks);
    std::lock_guard lock(mutex_);
    preparing_ = false;
    // Under the lock that stop() takes: a stop either came before, and no run starts, or
    // comes after and finds the run.
    if (stop.stop_requested()) return;
    if (pause_before_start_) run->request_pause();
    for (const auto& path : saves_before_start_) run->request_save(path);
    run->start();
    run_ = std::move(run);
  } catch (const std::exception& e) {
    std::lock_guard lock(mutex_);
    preparing_ = false;
    failed_ = true;
    new_messages_.push_back(std::string("cannot start training: ") + one_line_error(e));
  }
}

// A curve that cannot be written is said once; the run trains on without it.
void TrainingSession::open_metrics_log(const CheckpointMark& resumed,
                                       const std::vector<StepMetrics>& history) {
  if (request_.metrics_path.empty()) return;
  try {
    const auto folder = std::filesystem::path(request_.metrics_path).parent_path();
    if (!folder.empty()) std::filesystem::create_directories(folder);
    metrics_log_ = std::make_unique<MetricsLog>(
        request_.metrics_path, request_.continues_metrics ? std::optional(resumed) : std::nullopt);
    if (const auto& note = metrics_log_->moved_aside()) {
      std::lock_guard lock(mutex_);
      new_messages_.push_back(*note);
    }
    if (!request_.continues_metrics)
      for (const auto& m : history) log_metrics(m);
  } catch (const std::exception& e) {
    std::lock_guard lock(mutex_);
    new_messages_.push_back("the loss curve is not being saved: " + one_line_error(e));
  }
}

void TrainingSession::log_metrics(const StepMetrics& m) {
  if (!metrics_log_) return;
  metrics_log_->write(m);
  say_if_metrics_failed();
}

void TrainingSession::say_unreadable(const std::vector<std::string>& unreadable) {
  std::lock_guard lock(mutex_);
  for (const auto& line : left_out_lines(unreadable, 3)) new_messages_.push_back("data: " + line);
}

void TrainingSession::say_if_metrics_failed() {
  if (const auto failed = metrics_log_->new_failure()) {
    std::lock_guard lock(mutex_);
    new_messages_.push_back(*failed + "; training goes on");
  }
}

void TrainingSession::stopped_while_preparing() {
  std::lock_guard lock(mutex_);
  preparing_ = false;  // no run: the session reads as stopped
}

void TrainingSession::flush_metrics_log() {
  if (!metrics_log_) return;
  metrics_log_->flush();
  say_if_metrics_failed();
}

void TrainingSession::on_snapshot(Trainer& trainer) {
  // Snapshots also come at the run's end: the curve's last lines reach the file then.
  flush_metrics_log();
  auto& model = trainer.model();
  model->eval();
  auto snapshot =
      queue_snapshot(model, eval_images_, trainer.train_config().mask_ratio,
                     request_.eval_mask_seed, trainer.current_step(), trainer.last_good_loss(),
                     "step " + std::to_string(trainer.current_step()));
  std::shared_ptr<const PublishedWeights> published;
  if (publish_weights_) {
    // On a GPU the copies stay there, queued on the trainer's stream behind a fence the
    // worker's stream waits for: neither thread waits for the other's work. The step's loss
    // may still be on its way too: the weights then go without one, settled by poll().
    NamedTensors weights;
    for (auto& [name, t] : model_state(model)) weights.emplace_back(name, t.detach().clone());
    published = std::make_shared<const PublishedWeights>(PublishedWeights{
        trainer.model_config(), weights, "training step " + std::to_string(trainer.current_step()),
        std::make_shared<const StreamFence>(trainer.train_config().device)});
    // Known as the run's latest before the worker can show them: whoever sees the worker
    // showing training's weights then finds them here.
    {
      std::lock_guard lock(mutex_);
      latest_weights_ = published;
    }
    worker_->set_weights(
        published->config, std::move(weights), published->source, trainer.current_step(),
        trainer.step_in_flight() ? std::nan("") : trainer.last_good_loss(), published->ready);
  }
  model->train();
  snapshot.awaiting_loss = trainer.step_in_flight();
  std::lock_guard lock(mutex_);
  pending_snapshots_.push_back(std::move(snapshot));
  if (!published) latest_weights_ = nullptr;
}

void TrainingSession::pause() {
  std::lock_guard lock(mutex_);
  if (run_)
    run_->request_pause();
  else
    pause_before_start_ = true;
}

void TrainingSession::resume() {
  std::lock_guard lock(mutex_);
  if (run_)
    run_->request_resume();
  else
    pause_before_start_ = false;
}

void TrainingSession::stop() {
  std::lock_guard lock(mutex_);
  if (run_) run_->request_stop();
  starter_.request_stop();
}

void TrainingSession::save(const std::string& path) {
  std::lock_guard lock(mutex_);
  if (run_)
    run_->request_save(path);
  else
    saves_before_start_.push_back(path);
}

std::string TrainingSession::data_stage() const {
  std::lock_guard lock(mutex_);
  return data_stage_;
}

std::string to_string(SessionState state) {
  switch (state) {
    case SessionState::Idle:
      return "idle";
    case SessionState::Preparing:
      return "preparing";
    case SessionState::Ready:
      return "ready";
    case SessionState::Running:
      return "running";
    case SessionState::Paused:
      return "paused";
    case SessionState::Finished:
      return "finished";
    case SessionState::Stopped:
      return "stopped";
    case SessionState::Failed:
      return "failed";
  }
  return "unknown";
}

TrainingSession::GivenUpThreads TrainingSession::given_up_threads() const {
  const int used = threads_used_.load(), allowed = threads_allowed_.load();
  if (used >= allowed) return {};
  return {used, allowed};
}

SessionState TrainingSession::state() const {
  std::lock_guard lock(mutex_);
  if (failed_) return SessionState::Failed;
  if (preparing_) return SessionState::Preparing;
  if (!run_) return SessionState::Stopped;
  switch (run_->state()) {
    case RunState::Ready:
      return SessionState::Ready;
    case RunState::Running:
      return SessionState::Running;
    case RunState::Paused:
      return SessionState::Paused;
    case RunState::Finished:
      return SessionState::Finished;
    case RunState::Stopped:
      return SessionState::Stopped;
    case RunState::Failed:
      return SessionState::Failed;
  }
  return SessionState::Failed;
}

bool TrainingSession::active() const {
  const auto s = state();
  return s == SessionState::Preparing || s == SessionState::Running || s == SessionState::Paused;
}

int64_t TrainingSession::unsaved_steps() const {
  std::lock_guard lock(mutex_);
  return run_ ? run_->unsaved_steps() : 0;
}

bool TrainingSession::paused() const { return state() == SessionState::Paused; }

int64_t TrainingSession::micro_batches_done() const {
  std::lock_guard lock(mutex_);
  return run_ ? run_->micro_batches_done() : 0;
}

SessionNews TrainingSession::poll() {
  std::lock_guard lock(mutex_);
  SessionNews news{std::move(new_history_), new_metrics_, std::move(new_messages_)};
  new_history_.clear();
  // On a GPU a snapshot is taken while its step's loss is still on the way: it waits for it,
  // and so does the label of the weights handed to the explorer.
  for (const auto& m : new_metrics_) {
    if (!m.nonfinite) worker_->settle_loss(m.step, m.loss);
    for (auto& pending : pending_snapshots_)
      if (pending.awaiting_loss && pending.snapshot.step == m.step) {
        if (!m.nonfinite) pending.snapshot.loss = m.loss;
        pending.awaiting_loss = false;
      }
  }
  new_metrics_.clear();
  new_messages_.clear();
  // A run that ended without the metrics (it failed) lets its snapshots land as they are.
  const auto run_state = run_ ? run_->state() : RunState::Stopped;
  const bool run_live = run_state == RunState::Running || run_state == RunState::Paused;
  while (!pending_snapshots_.empty() && pending_snapshots_.front().pictures.ready() &&
         (!pending_snapshots_.front().awaiting_loss || !run_live)) {
    snapshots_.push_back(
        std::make_shared<const TrainingSnapshot>(finish_snapshot(pending_snapshots_.front())));
    pending_snapshots_.pop_front();
  }
  while (snapshots_.size() > kMaxSnapshots) snapshots_.pop_front();
  return news;
}

std::shared_ptr<const PublishedWeights> TrainingSession::latest_weights() const {
  std::lock_guard lock(mutex_);
  return latest_weights_;
}

TrainingSession::LabelledImage TrainingSession::first_eval_image() const {
  std::lock_guard lock(mutex_);
  return first_eval_image_;
}

std::vector<std::shared_ptr<const TrainingSnapshot>> TrainingSession::snapshots() const {
  std::lock_guard lock(mutex_);
  return {snapshots_.begin(), snapshots_.end()};
}

}  // namespace mae::studio
