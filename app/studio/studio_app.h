// Why: the app without its window: state, the worker threads, the actions that buttons and
// shortcuts trigger, and frame() which lays out the panels. main.cpp adds GLFW and GL;
// tests drive the same object in a headless ImGui context.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app_state.h"
#include "background_run_follower.h"
#include "free_memory_gauge.h"
#include "image_opener.h"
#include "inference_worker.h"
#include "preferences.h"
#include "recipe/recipe.h"
#include "studio_options.h"
#include "system_file_dialog.h"
#include "training_session.h"
#include "util/folder_lock.h"
#include "view_renderer.h"

namespace mae {
struct Chart;
}  // namespace mae

namespace mae::studio {

class StudioApp {
 public:
  StudioApp(ViewRenderer& renderer, const StudioOptions& options);
  ~StudioApp();
  StudioApp(const StudioApp&) = delete;
  StudioApp& operator=(const StudioApp&) = delete;

  // Builds one ImGui frame (call between ImGui::NewFrame and ImGui::Render).
  void frame();

  // Actions, shared by buttons, shortcuts, drag and drop and tests.
  // Fills the Training form with the preset's complete recipe.
  void apply_preset(const std::string& name);
  // Sets the run length; the warmup keeps the preset's fraction of it.
  void set_training_steps(int steps);
  // What the form's run would need in memory against what its device has free now.
  TrainingMemoryNote training_memory_note();
  void start_training();
  // Goes on training to the form's step count: the stopped or finished run (saved first to
  // the "save to" path), else the opened checkpoint with its own recipe. Curves continue.
  void continue_training();
  // What Continue would continue, or "" when there is nothing to continue.
  std::string continuable() const;
  // The step reached by the run Continue would go on with: it needs the form's steps above.
  int64_t continuable_step() const;
  void toggle_pause();
  void stop_training();
  void save_checkpoint(const std::string& path);
  void open_checkpoint(const std::string& path);
  // Decodes the picture off the UI thread; the explorer shows it when it is read, or keeps
  // its image and says why not. A later open supersedes one not yet shown.
  void open_image(const std::string& path);
  void set_training_data(const std::string& path);
  // Follows a folder that `mae train` writes (here, on a shared disk, or rank 0 of a
  // distributed run): its curves as metrics.jsonl grows, its triplets and explorer from each
  // new checkpoint. Read-only. Refused while the app itself trains.
  void watch_run(const std::string& folder);
  void stop_watching();
  void handle_drop(const std::vector<std::string>& paths);
  // The file browser, for `target`, next to the mouse (the control that asked).
  void open_file_browser(BrowseTarget target);
  // Browser: show a folder (a file path opens it); open a path for the browser's target.
  void browse_to(const std::string& path);
  void browse_open(const std::string& path);
  // The desktop's own chooser (zenity or kdialog) for the browser's target, on its own
  // process: the window keeps drawing, and the chosen path opens as browse_open would.
  void open_system_dialog();
  // "zenity", "kdialog" or "" (found on PATH at start-up).
  const std::string& system_dialog_tool() const { return system_dialog_tool_; }
  bool system_dialog_running() const { return system_dialog_.running(); }
  // Every change of the explorer's mask settings goes through set_mask_settings: it drops a
  // hand-painted mask and asks for a new reconstruction. set_ratio and reroll_seed use it.
  void set_mask_settings(const MaskSettings& settings);
  void reroll_seed();
  void set_ratio(float ratio);
  void show_ratio_sweep(bool show);
  void toggle_patch(int row, int col);
  // A paint stroke starts: what the mask is now becomes one Ctrl+Z step.
  void begin_paint_stroke();
  // Back to the mask before the last paint stroke or mask-settings change (Ctrl+Z).
  void undo_mask();
  // Explorer on the trainer's latest weights, or back on the opened checkpoint.
  void set_follow_training(bool follow);
  // Writes the view as it is shown (tint, grid, heat map), enlarged `scale` times.
  void export_view(const ImageView& view, const ViewStyle& style, const std::string& name,
                   int scale = 8);
  // Every explorer view as shown, in one folder (for slides).
  void export_explorer_views();
  // The Curves panel's loss curves (this run's, raw and smoothed, and the earlier runs'
  // smoothed, on the panel's scale) as a picture with axes and a legend.
  void export_curves();
  // The smoothed loss's moving-average weight, in [0, 0.999], for every curve shown.
  void set_curve_smoothing(double weight);
  // The Experiments window's loss curves (each ratio's smoothed loss over the steps it shows)
  // as a picture with axes and a legend.
  void export_sweep_curves();
  // Attention from the visible patch at (row, col); (-1, -1) = from the cls token.
  void set_attention_query(int row, int col);
  void show_attention(bool show);
  // Step-through: show or hide, move by `delta` stages, export every stage as PNGs.
  void show_step_through(bool show);
  void step_stage(int delta);
  void export_step_through();
  // Compare: a second checkpoint on the explorer's image and mask.
  void open_compare_checkpoint(const std::string& path);
  // Experiments: opens the window with the results saved in its output folder, if any;
  // starts (or continues) the masking-ratio sweep from the window's fields.
  void show_experiments();
  // The sweep saved in `folder` (its sweep.json), shown in the Experiments window.
  void open_sweep(const std::string& folder);
  void start_sweep();
  void cancel_sweep();
  // Probe: linear probe and k-NN of the Probe window's checkpoint or, with none named, of
  // the model on screen (a training run's latest weights while the explorer follows it).
  void start_probe();
  // What the explorer shows: "training step N of the run", or the opened checkpoint's path.
  std::string model_on_screen() const;
  void cancel_probe();
  // False while training runs or trained steps are not saved: a dialog asks first.
  bool request_close();
  // Steps of the current run done since its last save (0 without a run).
  int64_t unsaved_steps() const;
  // Quits without asking (a signal: nobody may be there to answer the dialog), saving the
  // run's unsaved steps first to default_save_path(); returns that path, or "" when there
  // was nothing to save. The save is written when the app is destroyed.
  std::string quit_saving_work();
  void message(const std::string& text);
  // Every panel back to its default place for the current window size.
  void reset_layout();

  std::string title() const;
  SessionState run_state() const;
  // On the CPU, the micro-batches of the training step under way that are done.
  int64_t micro_batches_done() const;
  // The recipe of the app's run, started or ended; null before the first. Its progress is
  // shown against it, not against the form, which may already hold the next run's.
  const TrainConfig* run_config() const;
  bool training_active() const;
  // True when something changes without user input (training, pending inference).
  bool animating() const;

  AppState& state() { return state_; }
  const AppState& state() const { return state_; }
  InferenceWorker& worker() { return worker_; }
  InferenceWorker& compare_worker() { return compare_worker_; }
  ViewRenderer& renderer() { return renderer_; }
  // Where Save, Ctrl+S and "save and quit" write: the Training panel's "save to" field.
  std::string default_save_path() const;

 private:
  void pump();
  void pump_watch();
  void restart_watched_curve(const std::vector<StepMetrics>& reread);
  // Whether the opened checkpoint was saved over or deleted since the worker read it, checked
  // once a second with a stat.
  void check_opened_file();
  void add_curve_point(const StepMetrics& m);
  // The step on the curves only: a continued checkpoint's history, which is not this run's
  // latest step and says nothing of this machine's speed.
  void extend_curve(const StepMetrics& m);
  // The current run's curves become an earlier run's (with two steps or more), and the new
  // run's start empty under its name and recipe; the display settings stay.
  void reset_curves(std::string name, std::optional<Recipe> recipe = std::nullopt);
  // `chart` as a picture in the export folder, named `name` and the time.
  void export_chart(const Chart& chart, const std::string& name);
  // Every curve (the run's, the earlier runs', the sweep's) smoothed with the chosen weight,
  // those made since the last frame included.
  void apply_curve_smoothing();
  void pump_explorer_result();
  void pump_compare();
  void pump_jobs();
  // The curves of the sweep into `out` over `ratios`, from its run folders, from now on.
  void follow_sweep_curves(const std::string& out, const std::vector<double>& ratios);
  void pump_sweep_curves();
  // A job's start refused or the job failed: said under its button (`slot`) and in the
  // messages, so the reason is both where the user looks and in the log.
  void job_problem(std::string& slot, const std::string& text);
  // Splits the CPU's cores between a CPU training run, a ratio sweep on the CPU and a
  // probe, whichever run at once (two OpenMP teams as wide as the machine slow each other
  // several times over); each alone uses them all.
  void share_cores(bool cpu_training);
  void submit_explorer();
  // A hand-painted mask is for one patch grid: on a model of another, the explorer goes back
  // to masking by ratio and seed, and says so.
  void drop_manual_mask_unless_it_fits(const MaeConfig& config);
  void submit_compare();
  void handle_shortcuts();
  // Runs one part of the frame; a fault in it unwinds what it left open in ImGui and is
  // logged once, and the rest of the frame goes on: a bug in one panel must not end the
  // app and the run training behind it.
  template <class Part>
  void guarded(const char* part, Part&& run);
  void load_default_image();
  // The opener's picture, when it is read: the explorer's image, or the message why not.
  void pump_opened_image();
  void show_opened_image(const std::string& path, at::Tensor image);
  // The first image of the run's data replaces a built-in explorer image (once it is read).
  void adopt_training_image();
  // The run the Training form describes: the preset's recipe with the form's fields.
  Recipe form_recipe() const;
  // What the free memory becomes at Start: what train.device has free now, plus what the
  // ended run (stopped or finished, kept for Save) gives back when the new one replaces it.
  int64_t memory_free_for_new_run(const TrainConfig& train);
  // Locks the "save to" path's folder for the run about to start. When another window or
  // `mae train` writes there, the run goes to the first free "<folder>-2", "-3", ... instead:
  // the form's save path follows and a message says why. Throws when the folder cannot be
  // made.
  void claim_run_folder();
  // The run's latest weights while the explorer shows training's, else null.
  std::shared_ptr<const PublishedWeights> training_weights_on_screen() const;
  // Writes the preferences when they differ from those last written or read: at most once a
  // second unless `now`. Returns the problem of a failed write ("" otherwise); a failed write
  // is not tried again until they change.
  std::string remember_preferences(bool now);

  ViewRenderer& renderer_;
  StudioOptions options_;
  AppState state_;
  InferenceWorker worker_;
  InferenceWorker compare_worker_;
  ImageOpener image_opener_;
  // The run folder this window trains into, locked against other windows and `mae train`
  // (declared before the session, so that it is released after the session's last write).
  std::unique_ptr<FolderLock> run_folder_lock_;
  std::unique_ptr<TrainingSession> session_;
  FreeMemoryGauge free_memory_;  // for the form's memory line
  std::unique_ptr<SweepJob> sweep_job_;
  // One per ratio of the sweep shown, read-only, for its curves (state_.experiments.curves).
  std::vector<std::unique_ptr<BackgroundRunFollower>> sweep_followers_;
  std::unique_ptr<ProbeJob> probe_job_;
  bool sweep_on_cpu_ = false;
  std::unique_ptr<BackgroundRunFollower> follower_;
  std::chrono::steady_clock::time_point next_opened_check_{};
  bool reset_layout_requested_ = false;  // by reset_layout(), for the next frame
  std::string preferences_path_;         // "" without a config folder (as in the tests)
  // As last written or read; none when the file read had a problem, so that it is rewritten.
  std::optional<Preferences> remembered_;
  std::chrono::steady_clock::time_point next_preferences_check_{};
  std::string system_dialog_tool_ = SystemFileDialog::available_tool();
  SystemFileDialog system_dialog_;
};

}  // namespace mae::studio
