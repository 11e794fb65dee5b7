// Why: actions change AppState and hand work to the worker threads without waiting on them; each
// frame polls what they have finished, so no click waits for a model.
#include "studio_app.h"

#include <ATen/ATen.h>
#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <utility>

#include "data/dataset.h"
#include "data/image_io.h"
#include "io/checkpoint.h"
#include "keys.h"
#include "model/presets.h"
#include "model/tuning_variables.h"
#include "panels.h"
#include "recipe/recipe.h"
#include "train/device.h"
#include "train/memory_estimate.h"
#include "util/file_identity.h"
#include "util/file_names.h"
#include "util/intra_op_threads.h"
#include "util/one_line_error.h"

namespace mae::studio {

namespace {
constexpr double kSweepRatios[] = {0.75, 0.85, 0.9, 0.95};
constexpr uint64_t kGallerySeed = 1234;
constexpr size_t kMaxLog = 200;

// Two reconstructions of pictures with the same size and patch grid.
bool same_geometry(const ExploreViews& a, const ExploreViews& b) {
  return a.original.rgb.sizes().equals(b.original.rgb.sizes()) &&
         a.mask.sizes().equals(b.mask.sizes());
}

bool is_power_of_ten(int64_t n) {
  while (n >= 10 && n % 10 == 0) n /= 10;
  return n == 1;
}

}  // namespace

StudioApp::StudioApp(ViewRenderer& renderer, const StudioOptions& options)
    : renderer_(renderer), options_(options) {
  // The UI thread's tensor work is small, and a team of OpenMP threads led from here would
  // slow the trainer's (see InferenceWorker::intra_op_threads).
  set_intra_op_threads_here(1);
  apply_preset(options_.preset);
  state_.form.device = cuda_available() ? ComputeDevice::Cuda : ComputeDevice::Cpu;
  state_.form.bf16 = state_.form.device == ComputeDevice::Cuda;
  state_.export_dir = options_.export_dir;
  std::snprintf(state_.form.data, sizeof state_.form.data, "%s", options_.data.c_str());
  if (options_.ratio) state_.explorer.ratio = static_cast<float>(*options_.ratio);
  if (!options_.strategy.empty()) state_.explorer.strategy = parse_mask_strategy(options_.strategy);
  if (!options_.config_dir.empty()) {
    preferences_path_ = options_.config_dir + "/preferences.json";
    const auto read = read_preferences(preferences_path_);
    apply_preferences(read.preferences, state_);
    if (read.problem.empty())
      remembered_ = read.preferences;
    else
      message(read.problem);
  }
  if (options_.heat_map) state_.explorer.show_heat = true;
  for (const auto& line : misspelt_tuning_variables())
    message(line + "; ignored: the default is used");
  try {
    auto test = open_dataset("fashion-mnist:test", 1);
    std::vector<at::Tensor> gallery;
    for (int64_t i = 0; i < 6; ++i) gallery.push_back(test->load_decoded(i));
    worker_.set_gallery(std::move(gallery), 0.75, kGallerySeed);
  } catch (const std::exception& e) {
    message(std::string("no built-in gallery: ") + one_line_error(e));
  }
  load_default_image();
  for (const auto& window : options_.show) {
    if (window == "attention") state_.explorer.attention.show = true;
    if (window == "step-through") state_.step_through.show = true;
    if (window == "compare") state_.compare.show = true;
    if (window == "probe") state_.probe.show = true;
    if (window == "experiments") show_experiments();
  }
  if (!options_.compare.empty()) open_compare_checkpoint(options_.compare);
  if (!options_.watch.empty()) watch_run(options_.watch);
  if (!options_.load.empty()) {
    // In the background, like Open: the window appears at once and says what it loads.
    open_checkpoint(options_.load);
  } else {
    message("no checkpoint loaded: open one (Ctrl+O) or start training");
  }
  if (options_.train_steps > 0) {
    set_training_steps(static_cast<int>(options_.train_steps));
    start_training();
  }
}

StudioApp::~StudioApp() {
  session_.reset();
  const auto problem = remember_preferences(true);
  if (!problem.empty()) std::fprintf(stderr, "mae-studio: %s\n", problem.c_str());
}

std::string StudioApp::remember_preferences(bool now) {
  const auto clock = std::chrono::steady_clock::now();
  if (preferences_path_.empty() || (!now && clock < next_preferences_check_)) return "";
  next_preferences_check_ = clock + std::chrono::seconds(1);
  const auto current = preferences_of(state_);
  if (remembered_ == current) return "";
  remembered_ = current;
  return write_preferences(preferences_path_, current);
}

void StudioApp::reset_layout() { reset_layout_requested_ = true; }

void StudioApp::message(const std::string& text) {
  state_.status = text;
  state_.status_time = std::chrono::steady_clock::now();
  state_.log.push_back(text);
  while (state_.log.size() > kMaxLog) state_.log.pop_front();
}

void StudioApp::load_default_image() {
  // A --image is read here, before the first frame: the window opens on it. One that cannot
  // be opened leaves the default in place, with the message why.
  if (!options_.image.empty()) {
    try {
      show_opened_image(options_.image, load_picture(options_.image, 3));
      return;
    } catch (const std::exception& e) {
      message(std::string("cannot open image: ") + one_line_error(e));
    }
  }
  try {
    state_.explorer.image = open_dataset("fashion-mnist:test", 1)->load_decoded(0);
    state_.explorer.image_label = "Fashion-MNIST test #0";
  } catch (const std::exception& e) {
    // A soft gradient with a square keeps the explorer usable without any data.
    auto y = at::linspace(0, 1, 28).view({1, 28, 1}).expand({1, 28, 28}).clone();
    y.narrow(1, 8, 12).narrow(2, 8, 12).fill_(0.9);
    state_.explorer.image = y;
    state_.explorer.image_label = "built-in pattern";
    message(std::string("default image unavailable: ") + one_line_error(e));
  }
  state_.explorer.dirty = true;
}

void StudioApp::adopt_training_image() {
  auto& e = state_.explorer;
  if (e.image_source == ExplorerImageSource::UserFile) return;
  const auto [image, label] = session_->first_eval_image();
  if (!image.defined() || (e.image.defined() && e.image.is_same(image))) return;
  // Fashion-MNIST runs are evaluated on test #0, the built-in image: nothing changes then.
  const bool same_picture = e.image.defined() && e.image.scalar_type() == image.scalar_type() &&
                            e.image.sizes().equals(image.sizes()) && at::equal(e.image, image);
  e.image = image;
  if (same_picture) return;
  e.image_label = label;
  e.image_source = ExplorerImageSource::TrainingData;
  e.manual = false;
  e.dirty = true;
}

void StudioApp::open_image(const std::string& path) {
  image_opener_.open(path);
  message("opening image " + path + " ...");
}

void StudioApp::pump_opened_image() {
  auto opened = image_opener_.take();
  if (!opened) return;
  if (opened->image.defined())
    show_opened_image(opened->path, opened->image);
  else
    message("cannot open image: " + opened->error);
}

void StudioApp::show_opened_image(const std::string& path, at::Tensor image) {
  auto& e = state_.explorer;
  e.image = std::move(image);  // its decoded bytes, fitted to each model it is shown to
  e.image_label = path;
  e.image_source = ExplorerImageSource::UserFile;
  e.manual = false;
  e.dirty = true;
  std::snprintf(e.path, sizeof e.path, "%s", path.c_str());
  message("opened image " + path);
}

void StudioApp::open_checkpoint(const std::string& path) {
  state_.open_checkpoint_path = path;
  state_.opened_file = OpenedFileState::AsOpened;
  message("opening " + path + " ...");
  worker_.load_checkpoint(path);
}

void StudioApp::set_training_data(const std::string& path) {
  std::snprintf(state_.form.data, sizeof state_.form.data, "%s", path.c_str());
  message("training data: " + path);
}

namespace {
void push_undo(ExplorerState& e) {
  e.undo.push_back(
      {{e.ratio, e.strategy, e.seed}, e.manual, e.manual ? e.manual_mask.clone() : at::Tensor()});
  if (e.undo.size() > 50) e.undo.erase(e.undo.begin());
}
}  // namespace

void StudioApp::begin_paint_stroke() { push_undo(state_.explorer); }

void StudioApp::undo_mask() {
  auto& e = state_.explorer;
  if (e.undo.empty()) {
    message("nothing to undo");
    return;
  }
  auto previous = std::move(e.undo.back());
  e.undo.pop_back();
  e.ratio = previous.settings.ratio;
  e.strategy = previous.settings.strategy;
  e.seed = previous.settings.seed;
  e.manual = previous.manual;
  e.manual_mask = previous.manual_mask;
  e.dirty = true;
}

void StudioApp::set_mask_settings(const MaskSettings& settings) {
  auto& e = state_.explorer;
  // Leaving a hand-painted mask can be undone; slider moves alone are not kept.
  if (e.manual) push_undo(e);
  e.ratio = std::clamp(settings.ratio, 0.0f, 0.95f);
  e.strategy = settings.strategy;
  e.seed = settings.seed;
  e.manual = false;
  e.dirty = true;
}

void StudioApp::reroll_seed() {
  const auto& e = state_.explorer;
  set_mask_settings(
      {e.ratio, e.strategy, static_cast<int>((e.seed * 1103515245u + 12345u) % 100000u)});
}

void StudioApp::set_ratio(float ratio) {
  const auto& e = state_.explorer;
  set_mask_settings({ratio, e.strategy, e.seed});
}

void StudioApp::show_ratio_sweep(bool show) {
  state_.explorer.sweep = show;
  state_.explorer.dirty = true;
}

void StudioApp::set_follow_training(bool follow) {
  state_.explorer.follow_training = follow;
  if (session_) session_->set_publish_weights(follow);
  if (!follow && !state_.open_checkpoint_path.empty()) open_checkpoint(state_.open_checkpoint_path);
}

void StudioApp::drop_manual_mask_unless_it_fits(const MaeConfig& config) {
  auto& e = state_.explorer;
  if (!e.manual || !e.manual_mask.defined() || mask_fits(config, e.manual_mask)) return;
  e.manual = false;
  message("the hand-made mask does not fit this model's " + std::to_string(config.grid_h()) + "x" +
          std::to_string(config.grid_w()) +
          " patch grid: the explorer masks by ratio and seed again");
}

void StudioApp::toggle_patch(int row, int col) {
  auto& e = state_.explorer;
  if (!e.result || !e.result->main.mask.defined()) return;
  // A picture of the model before (another patch grid) until the new model's arrives: a
  // mask painted on it would not fit the model it is sent to.
  if (!e.manual && !mask_fits(worker_.model_info().config, e.result->main.mask)) return;
  if (!e.manual) e.manual_mask = e.result->main.mask.clone();
  if (row < 0 || col < 0 || row >= e.manual_mask.size(0) || col >= e.manual_mask.size(1)) return;
  auto cell = e.manual_mask[row][col];
  cell.fill_(1.0f - cell.item<float>());
  e.manual = true;
  e.dirty = true;
}

bool StudioApp::request_close() {
  if (!training_active() && unsaved_steps() == 0) return true;
  state_.confirm_close = true;
  return false;
}

std::string StudioApp::quit_saving_work() {
  state_.quit = true;
  if (unsaved_steps() == 0) return "";
  const std::string path = default_save_path();
  save_checkpoint(path);
  return path;
}

int64_t StudioApp::unsaved_steps() const { return session_ ? session_->unsaved_steps() : 0; }

bool StudioApp::training_active() const { return session_ && session_->active(); }

SessionState StudioApp::run_state() const {
  return session_ ? session_->state() : SessionState::Idle;
}

bool StudioApp::animating() const {
  return training_active() || worker_.busy() || compare_worker_.busy() || state_.explorer.dirty ||
         sweep_job_ || probe_job_ || system_dialog_.running();
}

std::string StudioApp::title() const {
  std::string t = "MAE Studio - " + to_string(run_state());
  if (session_)
    t += " " + std::to_string(state_.last_metrics.step) + "/" +
         std::to_string(session_->request().train.total_steps);
  const auto info = worker_.model_info();
  if (info.loaded) t += " - " + info.source;
  return t;
}

void StudioApp::pump() {
  while (auto m = worker_.take_message()) message(*m);
  if (auto snap = worker_.take_checkpoint_snapshot()) {
    state_.checkpoint_snapshot = std::make_shared<TrainingSnapshot>(std::move(*snap));
    // A watched run keeps each checkpoint's pictures, for the triplets' history slider.
    if (follower_) {
      state_.snapshots.push_back(state_.checkpoint_snapshot);
      if (state_.snapshots.size() > TrainingSession::kMaxSnapshots)
        state_.snapshots.erase(state_.snapshots.begin());
    }
  }
  pump_opened_image();
  pump_explorer_result();
  pump_compare();
  pump_jobs();
  if (auto chosen = system_dialog_.take_outcome()) {
    if (!chosen->error.empty()) message(chosen->error);
    if (!chosen->path.empty()) browse_open(chosen->path);
  }
  const auto info = worker_.model_info();
  if (info.loaded && info.version != state_.explorer.model_version_seen) {
    state_.explorer.model_version_seen = info.version;
    // A newly opened checkpoint is explored at the ratio it was trained with, unless the
    // command line named one.
    if (info.trained_mask_ratio && !options_.ratio && info.source.rfind("training", 0) != 0)
      state_.explorer.ratio = static_cast<float>(*info.trained_mask_ratio);
    drop_manual_mask_unless_it_fits(info.config);
    state_.explorer.dirty = true;
  }
  if (session_ && !follower_) {
    const auto news = session_->poll();
    for (const auto& m : news.messages) message(m);
    for (const auto& m : news.history) extend_curve(m);
    for (const auto& m : news.metrics) add_curve_point(m);
    state_.snapshots = session_->snapshots();
    state_.data_stage = session_->data_stage();
    const auto threads = session_->given_up_threads();
    state_.threads_used = threads.used;
    state_.threads_allowed = threads.allowed;
    adopt_training_image();
  }
  const bool cpu_training = session_ && session_->state() == SessionState::Running &&
                            session_->request().train.device == "cpu";
  worker_.share_cpu_with_training(cpu_training);
  compare_worker_.share_cpu_with_training(cpu_training);
  share_cores(cpu_training);
  pump_watch();
  check_opened_file();
}

void StudioApp::check_opened_file() {
  const auto now = std::chrono::steady_clock::now();
  // A watched run's checkpoints are the follower's to load; a folder has no identity; while
  // training's weights (or another file's) are shown, the file is not what is described.
  if (follower_ || now < next_opened_check_) return;
  next_opened_check_ = now + std::chrono::seconds(1);
  const auto info = worker_.model_info();
  if (!info.file || info.source != state_.open_checkpoint_path) return;
  const auto on_disk = file_identity(state_.open_checkpoint_path);
  const auto was = state_.opened_file;
  state_.opened_file = !on_disk                 ? OpenedFileState::Gone
                       : *on_disk != *info.file ? OpenedFileState::SavedAgain
                                                : OpenedFileState::AsOpened;
  if (state_.opened_file == was) return;
  if (state_.opened_file == OpenedFileState::SavedAgain)
    message(state_.open_checkpoint_path +
            " was saved again since it was opened: Reload in the Checkpoint panel shows it");
  else if (state_.opened_file == OpenedFileState::Gone)
    message(state_.open_checkpoint_path + " is no longer on disk: what is shown was read before");
}

void StudioApp::add_curve_point(const StepMetrics& m) {
  state_.last_metrics = m;
  // The ETA comes from measured steps: an average that forgets the slow first step.
  state_.mean_step_ms =
      state_.have_metrics ? 0.8 * state_.mean_step_ms + 0.2 * m.step_ms : m.step_ms;
  state_.have_metrics = true;
  state_.data_wait.add(m.data_wait_ms, m.step_ms);
  extend_curve(m);
}

void StudioApp::extend_curve(const StepMetrics& m) {
  if (!m.nonfinite) state_.curves.points.add(static_cast<double>(m.step), m.loss, m.lr);
}

void StudioApp::watch_run(const std::string& folder) {
  if (training_active()) {
    message("cannot watch '" + folder + "' while the app trains: stop the run first");
    return;
  }
  // A folder not there yet is watched until a run makes it (the app started before the
  // cluster job), where the folder it would be made in is there.
  std::error_code ec;
  auto path = std::filesystem::path(folder);
  if (!path.has_filename()) path = path.parent_path();  // "runs/a/"
  const auto parent = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_directory(path, ec)) {
    message("cannot watch '" + folder + "': not a folder");
    return;
  }
  if (!std::filesystem::exists(path, ec) && !std::filesystem::is_directory(parent, ec)) {
    message("cannot watch '" + folder + "': neither it nor '" + parent.string() + "' is a folder");
    return;
  }
  follower_ = std::make_unique<BackgroundRunFollower>(folder);
  reset_curves(last_name(folder));
  state_.snapshots.clear();
  state_.snapshot_index = -1;
  state_.watch = RunWatchState{};
  state_.data_wait = DataWaitWatch{};
  state_.watch->folder = folder;
  message("watching " + folder +
          " (read-only): curves from metrics.jsonl, pictures from each "
          "new last.safetensors");
}

void StudioApp::stop_watching() {
  if (!follower_) return;
  message("stopped watching " + follower_->folder());
  follower_.reset();
  state_.watch.reset();
  // The last metrics were the watched run's, not a run of the app's: the Training panel would
  // show its step against the form's, and Continue would take it for the app's last run.
  // The curves stay, to compare with the next run.
  state_.last_metrics = StepMetrics{};
  state_.have_metrics = false;
}

// metrics.jsonl was read again from its start (`reread`: its first lines). Its lines naming the
// run watched so far, or, for runs that name none, read from the same first step and loss, it
// is the same run, resumed from an earlier checkpoint after a hard kill: its curve is drawn
// again from the file, which now goes on from that checkpoint. Else it is a new run, and the
// last one's curve is kept beside it.
void StudioApp::restart_watched_curve(const std::vector<StepMetrics>& reread) {
  const auto& w = *state_.watch;
  auto& curve = state_.curves.points;
  const auto first =
      std::find_if(reread.begin(), reread.end(), [](const StepMetrics& m) { return !m.nonfinite; });
  const uint64_t watched_run = state_.have_metrics ? state_.last_metrics.run : 0;
  const bool same_run = first != reread.end() && !curve.empty() &&
                        (first->run != 0 && watched_run != 0
                             ? first->run == watched_run
                             : curve.steps.front() == static_cast<double>(first->step) &&
                                   curve.loss.front() == first->loss);
  if (same_run) {
    curve.clear();
    message(w.folder +
            ": metrics.jsonl was cut back and goes on (the run resumed from an earlier "
            "checkpoint): its curve is read again");
    return;
  }
  reset_curves(last_name(w.folder));
  state_.snapshots.clear();
  message(w.folder + ": metrics.jsonl started over (a new run)");
}

// What the follower's thread found since the last frame. Checkpoints are loaded by the
// inference worker, in the background, on the app's own device.
void StudioApp::pump_watch() {
  if (!follower_) return;
  auto& w = *state_.watch;
  auto update = follower_->take();
  for (const auto& p : update.problems) message(p);
  if (update.restarted) restart_watched_curve(update.metrics);
  for (const auto& m : update.metrics) add_curve_point(m);
  if (update.checkpoint) {
    try {
      const auto info = read_checkpoint_info(*update.checkpoint);
      w.checkpoint_step = info.step;
      if (info.train) {
        w.recipe = describe_recipe(info.model, *info.train);
        state_.curves.recipe.emplace();
        state_.curves.recipe->model = info.model;
        state_.curves.recipe->train = *info.train;
      }
    } catch (const std::exception&) {
      w.checkpoint_step = -1;
    }
    state_.open_checkpoint_path = *update.checkpoint;
    state_.opened_file = OpenedFileState::AsOpened;
    worker_.load_checkpoint(*update.checkpoint);
    ++w.checkpoints_loaded;
  }
  w.run = follower_->status();
}

void StudioApp::pump_explorer_result() {
  auto r = worker_.take_result();
  if (!r) return;
  auto& e = state_.explorer;
  if (!r->error.empty()) {
    message("reconstruction failed: " + r->error);
    if (r->id + 1 == e.next_request_id) e.failure = r->error;  // none newer is on its way
    return;
  }
  // The same id arrives twice: first the main view, then with the sweep, attention and
  // stages. Until they come, the previous ones stay in place, marked as being recomputed,
  // where they fit: weights of another shape (a run of another preset) make pictures of
  // another size and patch grid, and then there is nothing to show until they arrive.
  if (r->id != e.shown_request_id) e.last_timing = r->timing;
  if (!r->extras_done && e.result && same_geometry(e.result->main, r->main)) {
    r->sweep = e.result->sweep;
    r->attention = e.result->attention;
    r->stages = e.result->stages;
    r->stage_views = e.result->stage_views;
  }
  e.extras_stale = !r->extras_done;
  const bool new_mask = r->id != e.shown_request_id;
  e.shown_request_id = r->id;
  e.result = std::move(*r);
  if (new_mask) state_.compare.dirty = true;
}

void StudioApp::submit_explorer() {
  auto& e = state_.explorer;
  if (!e.dirty || !e.image.defined() || !worker_.model_info().loaded) return;
  drop_manual_mask_unless_it_fits(worker_.model_info().config);  // an undo from another model
  ExploreRequest request;
  request.image = e.image;  // fitted to the model by the worker, once per picture
  request.mask.ratio = e.ratio;
  request.mask.strategy = e.strategy;
  request.mask.seed = static_cast<uint64_t>(e.seed);
  if (e.manual) request.mask.mask = e.manual_mask.clone();
  if (e.sweep) request.sweep_ratios.assign(std::begin(kSweepRatios), std::end(kSweepRatios));
  request.attention = e.attention.show;
  request.stages = state_.step_through.show;
  request.id = e.next_request_id++;
  worker_.submit(std::move(request));
  e.dirty = false;
  e.failure.clear();
}

namespace {

// Closes the open combo or context menu on top, as ImGui 1.86 does on Esc only with keyboard
// navigation, which the app leaves off (arrows and Space are its own keys). Without this, Esc
// left a dropdown open, and the click that then closed it was lost: a slider dragged next did
// not move. A modal dialog is not closed here: it answers its own Esc.
bool close_top_menu() {
  const ImGuiContext& g = *ImGui::GetCurrentContext();
  if (g.OpenPopupStack.Size == 0) return false;
  const ImGuiWindow* top = g.OpenPopupStack.back().Window;
  if (!top || (top->Flags & ImGuiWindowFlags_Modal)) return false;
  ImGui::ClosePopupToLevel(g.OpenPopupStack.Size - 1, true);
  return true;
}

}  // namespace

void StudioApp::handle_shortcuts() {
  ImGuiIO& io = ImGui::GetIO();
  if (io.WantTextInput) return;
  if (ImGui::IsKeyPressed(keys::kF1, false)) state_.show_help = !state_.show_help;
  // Esc closes what is on top: an open dropdown or menu, else the file browser, else help (the
  // close dialog handles its own Esc).
  if (ImGui::IsKeyPressed(keys::kEscape, false) && !close_top_menu()) {
    if (state_.show_file_browser)
      state_.show_file_browser = false;
    else
      state_.show_help = false;
  }
  if (ImGui::IsKeyPressed(keys::kSpace, false)) toggle_pause();
  if (io.KeyCtrl && ImGui::IsKeyPressed(keys::kS, false)) save_checkpoint(default_save_path());
  if (io.KeyCtrl && ImGui::IsKeyPressed(keys::kO, false)) {
    open_file_browser(BrowseTarget::Checkpoint);
  }
  if (!io.KeyCtrl && ImGui::IsKeyPressed(keys::kR, false)) reroll_seed();
  if (io.KeyCtrl && ImGui::IsKeyPressed(keys::kZ, false)) undo_mask();
}

template <class Part>
void StudioApp::guarded(const char* part, Part&& run) {
  try {
    run();
  } catch (const std::exception& e) {
    ImGui::ErrorCheckEndFrameRecover(nullptr);  // ends the windows, groups and pushes it left
    const std::string text = std::string("internal error in ") + part + " (please report it; " +
                             "the app goes on): " + one_line_error(e);
    auto& seen = state_.internal_errors;
    const auto same = [&](const InternalError& known) { return known.text == text; };
    if (const auto known = std::find_if(seen.begin(), seen.end(), same); known != seen.end()) {
      // A fault that comes back every frame is logged again at 10, 100, 1000... frames: the
      // log says it goes on without filling up.
      if (is_power_of_ten(++known->frames))
        message(text + " (in " + std::to_string(known->frames) + " frames so far)");
      return;
    }
    seen.push_back({text});
    message(text);
  }
}

void StudioApp::frame() {
  // A request from the last frame (the status bar's button draws after the panels) is
  // this frame's reset, seen by every panel.
  state_.reset_layout = std::exchange(reset_layout_requested_, false);
  guarded("the app's update", [this] {
    pump();
    apply_curve_smoothing();
  });
  guarded("a shortcut", [this] { handle_shortcuts(); });
  using Draw = void (*)(StudioApp&);
  static constexpr std::pair<const char*, Draw> kParts[] = {
      {"the Training panel", draw_training_panel},
      {"the Checkpoint panel", draw_checkpoint_panel},
      {"the Live triplets", draw_triplets_panel},
      {"the Curves", draw_curves_panel},
      {"the Masking explorer", draw_explorer_panel},
      {"the status bar", draw_status_bar},
      {"the help window", draw_help_window},
      {"the file browser", draw_file_browser},
      {"the close dialog", draw_close_dialog},
      {"the Step-through window", draw_step_through_window},
      {"the Compare window", draw_compare_window},
      {"the Experiments window", draw_experiments_window},
      {"the Probe window", draw_probe_window}};
  for (const auto& [part, draw] : kParts) guarded(part, [&] { draw(*this); });
  guarded("the explorer's request", [this] { submit_explorer(); });
  guarded("the preferences", [this] {
    if (const auto problem = remember_preferences(false); !problem.empty()) message(problem);
  });
  keep_status_bar_on_top();
}

}  // namespace mae::studio
