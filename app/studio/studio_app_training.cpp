// Why: the StudioApp actions behind the Training panel: the form's recipe and what it needs
// in memory, and starting, pausing, continuing, stopping and saving the run it describes,
// kept apart from loading and exploring in studio_app.cpp.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "io/checkpoint.h"
#include "recipe/recipe.h"
#include "studio_app.h"
#include "train/device.h"
#include "train/loader_workers.h"
#include "train/memory_estimate.h"
#include "util/file_identity.h"
#include "util/one_line_error.h"

namespace mae::studio {

namespace {

std::filesystem::path folder_of(const std::string& file) {
  const auto folder = std::filesystem::path(file).parent_path();
  return folder.empty() ? std::filesystem::path(".") : folder;
}

// A run's curve goes beside its checkpoint, as in a `mae train` run folder, so that watching
// the folder later shows it.
std::string metrics_beside(const std::string& checkpoint) {
  return (folder_of(checkpoint) / "metrics.jsonl").string();
}

bool same_folder(const std::filesystem::path& a, const std::filesystem::path& b) {
  std::error_code ec;
  return std::filesystem::weakly_canonical(a, ec) == std::filesystem::weakly_canonical(b, ec);
}

bool same_folder(const std::string& a, const std::string& b) {
  return same_folder(folder_of(a), folder_of(b));
}

// Enough for every window a person opens; past it the folder's name is surely wrong.
constexpr int kSiblingFolders = 99;

// The form's device and bf16 choice there, and the loader threads a run of the app takes there.
void train_on_form_device(const TrainingForm& f, TrainConfig& t) {
  t.device = f.device == ComputeDevice::Cuda ? "cuda" : "cpu";
  (f.device == ComputeDevice::Cuda ? t.bf16 : t.cpu_bf16) = f.bf16;
  t.loader_workers = default_loader_workers(t.device, /*local_ranks=*/1);
}

}  // namespace

void StudioApp::apply_preset(const std::string& name) {
  Recipe r;
  try {
    r = preset_recipe(name);
  } catch (const std::exception& e) {
    message(one_line_error(e));
    return;
  }
  auto& f = state_.form;
  f.preset = name;
  f.batch = static_cast<int>(r.train.batch);
  f.accum_steps = static_cast<int>(r.train.accum_steps);
  f.base_lr = static_cast<float>(r.train.base_lr);
  f.steps = static_cast<int>(r.train.total_steps);
  f.warmup_steps = static_cast<int>(r.train.warmup_steps);
  f.crop_min = static_cast<float>(r.train.crop_scale_min);
  f.mask_ratio = static_cast<float>(r.train.mask_ratio);
  f.norm_pix = r.model.norm_pix_loss;
  // A recipe written for many GPUs (ViT-B/16's 4096 images per step) is split into
  // micro-batches that fit this device: the same images per step, lr and result.
  try {
    const auto whole = form_recipe();
    const auto fitted =
        fit_micro_batch(whole.model, whole.train, memory_free_for_new_run(whole.train));
    if (fitted.batch == whole.train.batch) return;
    f.batch = static_cast<int>(fitted.batch);
    f.accum_steps = static_cast<int>(fitted.accum_steps);
    message(name + ": its " + std::to_string(fitted.batch * fitted.accum_steps) +
            " images per step do not fit at once on " + whole.train.device + "; they train as " +
            std::to_string(fitted.accum_steps) + " micro-batches of " +
            std::to_string(fitted.batch) + " (the same step)");
  } catch (const std::exception& e) {
    message(one_line_error(e));
  }
}

Recipe StudioApp::form_recipe() const {
  const auto& f = state_.form;
  Recipe r = preset_recipe(f.preset);
  r.model.norm_pix_loss = f.norm_pix;
  auto& t = r.train;
  t.data = f.data;
  t.batch = std::max(1, f.batch);
  t.accum_steps = std::max(1, f.accum_steps);
  t.total_steps = std::max(1, f.steps);
  t.base_lr = f.base_lr;
  t.warmup_steps = std::clamp(f.warmup_steps, 0, f.steps);
  t.mask_ratio = f.mask_ratio;
  t.mask_strategy = f.strategy;
  t.crop_scale_min = std::clamp(static_cast<double>(f.crop_min), 0.01, 1.0);
  train_on_form_device(f, t);
  return r;
}

int64_t StudioApp::memory_free_for_new_run(const TrainConfig& train) {
  int64_t bytes = free_memory_.bytes_free(train.device);
  // The ended run keeps its weights and AdamW moments for Save; its step's activations and
  // batches are gone. The new run's thread frees it before building the trainer, which checks
  // the memory again then.
  if (session_ && !session_->active() && session_->request().train.device == train.device) {
    const auto& ended = session_->request();
    bytes += estimate_training_memory(ended.model, ended.train).state_bytes;
  }
  return bytes;
}

TrainingMemoryNote StudioApp::training_memory_note() {
  try {
    const Recipe r = form_recipe();
    const auto& t = r.train;
    const auto memory = estimate_training_memory(r.model, t);
    const auto available = memory_free_for_new_run(t);
    return {"needs about " + format_bytes(memory.at_batch(t.batch)) + " of the " +
                format_bytes(available) + " free on " + t.device,
            t.batch <= largest_fitting_batch(memory, available)};
  } catch (const std::exception& e) {
    return {one_line_error(e), false};
  }
}

const TrainConfig* StudioApp::run_config() const {
  return session_ ? &session_->request().train : nullptr;
}

int64_t StudioApp::micro_batches_done() const {
  return session_ ? session_->micro_batches_done() : 0;
}

void StudioApp::set_training_steps(int steps) {
  auto& f = state_.form;
  Recipe r = preset_recipe(f.preset);
  set_total_steps(r, std::max(1, steps));
  f.steps = static_cast<int>(r.train.total_steps);
  f.warmup_steps = static_cast<int>(r.train.warmup_steps);
}

void StudioApp::start_training() {
  if (training_active()) return;
  stop_watching();
  try {
    const Recipe r = form_recipe();
    TrainingRequest request;
    request.model = r.model;
    request.train = r.train;
    auto& t = request.train;
    resolve_device(t.device);
    // A typed lr is refused here, with the field's name, not after the data is prepared.
    if (!(t.base_lr > 0.0 && t.base_lr <= 1e6))
      throw std::invalid_argument("base lr must be above 0 and at most 1e6, not " +
                                  std::to_string(t.base_lr));
    t.validate();
    // A batch the machine cannot hold is refused here: the out-of-memory killer would end
    // the app, and with it any unsaved work.
    if (const auto problem = training_memory_problem(request.model, t, memory_free_for_new_run(t));
        !problem.empty())
      throw std::runtime_error(problem);
    claim_run_folder();
    request.metrics_path = metrics_beside(default_save_path());
    reset_curves("run " + std::to_string(++state_.runs_started), r);
    state_.snapshots.clear();
    state_.snapshot_index = -1;
    state_.last_metrics = StepMetrics{};
    state_.have_metrics = false;
    state_.mean_step_ms = 0.0;
    state_.data_wait = DataWaitWatch{};
    state_.data_stage.clear();
    // The previous run (over, maybe with a save pending) ends on the new session's thread.
    session_ = std::make_unique<TrainingSession>(request, &worker_, std::move(session_));
    session_->set_publish_weights(state_.explorer.follow_training);
    message("training " + state_.form.preset + " on " + t.data + "; its curve goes to " +
            request.metrics_path);
  } catch (const std::exception& e) {
    message(std::string("cannot start training: ") + one_line_error(e));
  }
}

void StudioApp::reset_curves(std::string name, std::optional<Recipe> recipe) {
  if (state_.curves.points.size() >= 2) {
    state_.earlier_curves.push_back(state_.curves);
    if (state_.earlier_curves.size() > 4)
      state_.earlier_curves.erase(state_.earlier_curves.begin());
  }
  // A name the earlier runs have (a watched folder's next run) is told apart by a count.
  const auto taken = [&](const std::string& candidate) {
    return std::any_of(state_.earlier_curves.begin(), state_.earlier_curves.end(),
                       [&](const CurveState& e) { return e.name == candidate; });
  };
  std::string unique = name;
  for (int n = 2; taken(unique); ++n)
    unique = std::string(name).append(" (").append(std::to_string(n)).append(")");
  CurveState fresh;
  fresh.log_scale = state_.curves.log_scale;
  fresh.name = std::move(unique);
  fresh.recipe = std::move(recipe);
  state_.curves = fresh;
  state_.have_metrics = false;
}

std::string StudioApp::continuable() const {
  if (training_active()) return "";
  if (session_ && state_.have_metrics)
    return "this run (step " + std::to_string(state_.last_metrics.step) + ")";
  const auto info = worker_.model_info();
  if (info.loaded && info.train && info.source == state_.open_checkpoint_path)
    return info.source + " (step " + std::to_string(info.step) + ")";
  return "";
}

int64_t StudioApp::continuable_step() const {
  return session_ && state_.have_metrics ? state_.last_metrics.step : worker_.model_info().step;
}

void StudioApp::continue_training() {
  const auto what = continuable();
  if (what.empty()) {
    message("nothing to continue: train, or open a checkpoint saved by MAE Studio or mae train");
    return;
  }
  // The form's steps are the total to go on to: one the run has reached would train nothing.
  const int64_t reached = continuable_step();
  if (state_.form.steps <= reached) {
    message("to continue " + what + ", set steps above " + std::to_string(reached) +
            ": they are the total it goes on to");
    return;
  }
  stop_watching();
  try {
    claim_run_folder();
    TrainingRequest request;
    std::string from;  // "from step 3", or the file where its step is not known yet
    if (session_ && state_.have_metrics) {
      // This run: saved where the user saves, then picked up from that file.
      request = session_->request();
      request.resume_from = default_save_path();
      save_checkpoint(request.resume_from);
      from = "from step " + std::to_string(reached);
    } else {
      const auto info = worker_.model_info();
      request.model = info.config;
      request.train = *info.train;
      request.resume_from = info.source;
      // Saved over since it was opened: the session says from which step once it has read it.
      from = file_identity(info.source) == info.file
                 ? "from step " + std::to_string(reached)
                 : "from " + info.source + " as saved since it was opened";
      // A different run: its own curves.
      Recipe continued;
      continued.model = request.model;
      continued.train = request.train;
      reset_curves(std::filesystem::path(info.source).filename().string(), continued);
      // Its curve, where the file beside it holds the run that led to it.
      request.history = CurveSource{metrics_beside(info.source), {reached, info.loss}};
    }
    // On the device the form names now, with its bf16 choice: a checkpoint saved on a GPU goes
    // on on this CPU, and one saved on a CPU on this GPU.
    const bool saved_autocasts = request.train.autocasts();
    train_on_form_device(state_.form, request.train);
    const std::string precision = request.train.autocasts() == saved_autocasts ? ""
                                  : saved_autocasts
                                      ? ", in fp32 (it was trained with bf16 autocast)"
                                      : ", with bf16 autocast (it was trained in fp32)";
    // The curve goes on in the folder's metrics.jsonl when the run resumed was saved there.
    request.metrics_path = metrics_beside(default_save_path());
    request.continues_metrics = same_folder(request.resume_from, default_save_path());
    request.train.total_steps = state_.form.steps;
    if (state_.curves.recipe) state_.curves.recipe->train.total_steps = request.train.total_steps;
    session_ = std::make_unique<TrainingSession>(request, &worker_, std::move(session_));
    session_->set_publish_weights(state_.explorer.follow_training);
    message("continuing " + from + " to step " + std::to_string(request.train.total_steps) +
            precision);
  } catch (const std::exception& e) {
    message(std::string("cannot continue: ") + one_line_error(e));
  }
}

void StudioApp::toggle_pause() {
  if (!session_ || !session_->active()) return;
  if (session_->paused()) {
    session_->resume();
    message("resumed");
  } else {
    session_->pause();
    // On the CPU a step of micro-batches waits between two of them, its gradients kept.
    const auto& t = session_->request().train;
    message(t.device == "cpu" && t.accum_steps > 1 ? "pausing after this micro-batch"
                                                   : "pausing after this step");
  }
}

void StudioApp::stop_training() {
  if (session_) session_->stop();
}

std::string StudioApp::default_save_path() const { return state_.form.save_path; }

void StudioApp::claim_run_folder() {
  const auto wanted = folder_of(default_save_path());
  // A run whose folder cannot be made could save nothing at its end: refused at Start, as mae
  // train refuses such an --out, not found out when the work is done.
  std::error_code made;
  std::filesystem::create_directories(wanted, made);
  if (made)
    throw std::runtime_error("the save folder " + wanted.string() + " cannot be made (" +
                             made.message() + "): choose another save path");
  if (run_folder_lock_ && same_folder(run_folder_lock_->folder(), wanted)) return;
  const auto file_name = std::filesystem::path(default_save_path()).filename();
  std::string in_use;
  for (int n = 1; n <= kSiblingFolders; ++n) {
    auto folder =
        n == 1 ? wanted : std::filesystem::path(wanted.string() + "-" + std::to_string(n));
    auto lock = std::make_unique<FolderLock>(folder, kStudioWriter);
    if (lock->held_elsewhere()) {
      if (n == 1) in_use = lock->in_use();
      continue;
    }
    run_folder_lock_ = std::move(lock);
    if (n == 1) return;
    const auto moved_to = (folder / file_name).string();
    std::snprintf(state_.form.save_path, sizeof state_.form.save_path, "%s", moved_to.c_str());
    message(in_use + "; this run saves to " + default_save_path());
    return;
  }
  throw std::runtime_error(wanted.string() + " and its " + std::to_string(kSiblingFolders - 1) +
                           " numbered siblings are all being trained: choose another save path");
}

void StudioApp::save_checkpoint(const std::string& path) {
  if (!session_) {
    message("nothing to save: no training run");
    return;
  }
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  session_->save(path);
  message("saving to " + path + " ...");
}

}  // namespace mae::studio
