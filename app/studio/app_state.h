// Why: everything the UI shows or edits, in one place the panels share and tests inspect.
// Plain data: the threads behind it (trainer, inference worker) are reached through the
// StudioApp that owns this state.
#pragma once

#include <ATen/core/Tensor.h>
#include <imgui.h>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analysis_jobs.h"
#include "file_kinds.h"
#include "folder_listing.h"
#include "inference_worker.h"
#include "loss_curve.h"
#include "recipe/recipe.h"
#include "train/data_wait_watch.h"
#include "train/run_follower.h"
#include "training_session.h"
#include "view_renderer.h"

namespace mae::studio {

enum class ComputeDevice { Cpu, Cuda };

// The file browser: where it is, what is selected, where it was used before.
struct FileBrowserState {
  std::string dir;                 // empty: the working folder
  std::string selected;            // a path in `dir`
  FolderListing listing;           // what `dir` holds, read when it changes
  std::deque<std::string> recent;  // folders things were opened from, newest first
  char path_field[512] = "";
  std::string path_field_dir;  // the dir the path field was last filled from
  ImVec2 anchor{80, 80};       // where it appears: next to the control that opened it
};

// The Training form's fields. Choosing a preset (in the form or with --preset) fills every
// field from preset_recipe(), so the app trains the same recipe as `mae train`.
struct TrainingForm {
  char data[512] = "fashion-mnist";
  std::string preset = "fmnist-tiny";  // a name from all_presets()
  float mask_ratio = 0.75f;
  MaskStrategy strategy = MaskStrategy::Random;
  int batch = 128;
  int accum_steps = 1;  // micro-batches per optimizer step: images per step = batch x this
  float base_lr = 3e-3f;
  bool norm_pix = false;
  int steps = 600;
  int warmup_steps = 30;
  float crop_min = 0.5f;                      // RandomResizedCrop minimum scale
  ComputeDevice device = ComputeDevice::Cpu;  // the GPU when there is one (StudioApp)
  bool bf16 = false;  // bf16 autocast: on by default on a GPU, off on the CPU (StudioApp)
  char save_path[512] = "runs/studio/last.safetensors";  // Save / Ctrl+S / save and quit
};

// A run's memory need beside what is free, for the Training form; `fits` false is shown as
// a warning, and Start refuses such a run.
struct TrainingMemoryNote {
  std::string text;  // "needs about 2.1 GiB of the 20.3 GiB free on cpu"
  bool fits = true;
};

// Where the explorer's image came from. The built-in one gives way to the first image of a
// run's data when the run starts, so a photo run is explored on a photo; one the user
// opened or dropped stays.
enum class ExplorerImageSource { BuiltIn, TrainingData, UserFile };

// What the explorer's automatic mask is made from.
struct MaskSettings {
  float ratio = 0.75f;
  MaskStrategy strategy = MaskStrategy::Random;
  int seed = 0;
};

// What the explorer's mask was before a paint stroke or a re-roll, for Ctrl+Z.
struct MaskUndo {
  MaskSettings settings;
  bool manual = false;
  at::Tensor manual_mask;  // defined when manual
};

// Which attention the explorer shows: from the cls token or from a clicked visible patch.
struct AttentionChoice {
  bool show = false;
  int layer = 0;
  int head = -1;                       // -1: mean over heads
  int query_row = -1, query_col = -1;  // -1: the cls token
  ImageView view;                      // the masked image with the attention map as its heat map
  at::Tensor map;                      // (grid_h, grid_w): the shares the view shows
  uint64_t view_of_request = 0;        // the result and choice the view was made for
  int view_layer = -2, view_head = -2, view_row = -2, view_col = -2;
};

// Patches painted with the mouse: what a drag paints and the cell it last touched.
struct PaintState {
  std::optional<bool> drag_removes;  // during a drag: it removes patches (true) or shows them
  int last_row = -1, last_col = -1;
};

struct ExplorerState {
  char path[512] = "";
  at::Tensor image;  // (C, H, W): an opened file's bytes (decode_picture), else floats in [0,1]
  std::string image_label;
  ExplorerImageSource image_source = ExplorerImageSource::BuiltIn;
  float ratio = 0.75f;
  MaskStrategy strategy = MaskStrategy::Random;
  int seed = 0;
  bool manual = false;     // hand-painted mask in use
  at::Tensor manual_mask;  // (grid_h, grid_w), 1 = removed
  bool show_grid = true;
  bool show_heat = false;
  bool sweep = true;
  bool follow_training = true;  // use the trainer's latest weights while it runs
  uint64_t next_request_id = 1;
  uint64_t shown_request_id = 0;
  bool dirty = true;  // a new request is needed
  std::optional<ExploreResult> result;
  // Why the newest request could not be reconstructed; cleared by the next request.
  std::string failure;
  uint64_t model_version_seen = 0;
  ExploreTiming last_timing;                 // of the newest request shown
  float masked_view_rect[4] = {0, 0, 0, 0};  // screen x, y, width, height (paint target)
  float below_large_views = 0;  // height of what follows the two large pictures, last frame
  bool extras_stale = false;    // the sweep / attention / stages shown belong to an older mask
  AttentionChoice attention;
  PaintState paint;
  std::vector<MaskUndo> undo;  // newest last, at most 50
};

// The Step-through window: one explorer image through the pipeline, stage by stage.
struct StepThroughState {
  bool show = false;
  int stage = 0;
};

// A second checkpoint reconstructing the explorer's image with the same mask.
struct CompareState {
  bool show = false;
  char path[512] = "";
  std::optional<ExploreResult> result;
  uint64_t model_version_seen = 0;
  uint64_t next_request_id = 1;
  bool dirty = false;
};

// Steps [first, last] of a run's curve, shown across the plot; one that reaches the newest step
// moves with the run as it trains, the same number of steps wide.
struct StepSpan {
  double first = 0, last = 0;
  bool follows_newest = false;
};

// One ratio's training loss, read from its run folder's metrics.jsonl as the sweep writes it.
struct SweepRunCurve {
  double ratio = 0.0;
  LossCurve points;
};

// The Experiments window: a masking-ratio sweep, its progress, its runs' curves and its table
// and plot.
struct ExperimentsState {
  bool show = false;
  char data[512] = "fashion-mnist";
  std::string preset = "fmnist-tiny";  // a name from all_presets()
  char ratios[128] = "0.25,0.5,0.75,0.9";
  int steps = 300;
  char out[512] = "runs/sweep";
  int probe_train = 10000;
  int probe_test = 2000;
  JobProgress progress;
  std::optional<SweepReport> report;
  std::vector<SweepRunCurve> curves;    // the sweep shown's, live while it trains
  std::optional<StepSpan> curves_zoom;  // none: every step
  bool running = false;
  std::string problem;  // why the last Start failed or the sweep ended early, shown by Start
};

// The Probe window: linear probe and k-NN of a checkpoint's encoder with references.
struct ProbeState {
  bool show = false;
  char checkpoint[512] = "";
  char data[512] = "fashion-mnist";
  int max_train = 10000;
  int max_test = 2000;
  std::string probing;    // the model the running (or last started) probe measures
  std::string report_of;  // the model the report measured
  JobProgress progress;
  std::optional<ProbeReport> report;
  ImageView confusion;
  bool running = false;
  std::string problem;  // why the last Run failed or the probe ended early, shown by Run
};

struct CurveState {
  // Which run: "run 2" for the app's own, a watched folder's or continued file's name; its
  // recipe where known, so that an earlier run's line says how it differed from the current.
  std::string name;
  std::optional<Recipe> recipe;
  LossCurve points;
  bool log_scale = false;
  std::optional<StepSpan> zoom;  // none: every step
};

// The opened checkpoint on disk since it was opened: another run (or this window's, not
// followed) may save over it, or it may be deleted, while the panel still describes what was
// read.
enum class OpenedFileState { AsOpened, SavedAgain, Gone };

// A run folder that some `mae train` writes, followed read-only.
struct RunWatchState {
  std::string folder;
  FollowedRunStatus run;         // as of the follower's last poll
  int64_t checkpoint_step = -1;  // of the newest checkpoint handed to the explorer
  int checkpoints_loaded = 0;
  std::string recipe;  // the run's batch, lr, steps, ... from its newest checkpoint
};

// A fault the frame's guard caught, and in how many frames it has happened.
struct InternalError {
  std::string text;
  int64_t frames = 1;
};

// Where a panel or floating window sits, as fractions of the area it was laid out in, learnt
// from where it is (its default, the saved layout, the user's moves), so that it keeps the
// arrangement when the app's window is resized.
struct WindowPlace {
  ImVec2 pos, size;  // fractions of `area`
  ImVec2 area;       // in pixels; (0, 0) until learnt
  ImVec2 drawn_in;   // the area of the last frame that drew it
};

// How the CPU's threads are split while a CPU training run, a ratio sweep on the CPU and a
// probe run at once; each alone uses all of them.
struct CpuShare {
  int each = 0;         // threads each of the sharers uses; 0 when nothing shares
  int of = 0;           // the threads a step uses alone
  std::string sharers;  // "training and the probe"
};

struct AppState {
  TrainingForm form;
  ExplorerState explorer;
  StepThroughState step_through;
  CompareState compare;
  ExperimentsState experiments;
  ProbeState probe;
  CpuShare cpu_share;
  CurveState curves;
  // The loss curves' moving-average weight, in the Curves panel and Experiments alike.
  double curve_smoothing = 0.9;
  // Earlier runs' smoothed losses, drawn faintly beside the current run until cleared.
  std::vector<CurveState> earlier_curves;  // oldest first, at most 4
  int runs_started = 0;                    // in this session: names the next "run N"
  std::optional<RunWatchState> watch;
  StepMetrics last_metrics;
  bool have_metrics = false;  // a step of the current run has been measured
  double mean_step_ms = 0.0;  // recent steps, for the ETA
  DataWaitWatch data_wait;    // the app's run waiting for its loader, over its recent steps
  // A CPU run whose steps take fewer threads than allowed, as that is faster beside other busy
  // processes: how many, of how many (0 of 0 while they take all).
  int threads_used = 0, threads_allowed = 0;
  std::string data_stage;  // "first pass: decoded 312 of 12 000, ..." while preparing
  std::vector<std::shared_ptr<const TrainingSnapshot>> snapshots;
  int snapshot_index = -1;                                      // -1 follows the newest
  std::shared_ptr<const TrainingSnapshot> checkpoint_snapshot;  // from a loaded checkpoint
  std::deque<std::string> log;                                  // status messages, newest last
  std::string status;
  std::chrono::steady_clock::time_point status_time;  // when `status` was set
  std::string open_checkpoint_path;
  OpenedFileState opened_file = OpenedFileState::AsOpened;
  char checkpoint_field[512] = "";  // the Checkpoint panel's path field
  bool show_help = false;
  bool show_file_browser = false;
  BrowseTarget file_browser_target = BrowseTarget::Checkpoint;
  FileBrowserState browser;
  std::string export_dir = "exports";  // where exported pictures go
  bool confirm_close = false;
  bool reset_layout = false;  // this frame, panels and windows return to their default places
  std::map<std::string, WindowPlace> window_places;  // by window title
  bool quit = false;
  // Faults the frame's guard caught (a bug, not bad input: that is reported where it is
  // read), each once with the frames it happened in; the app went on past them.
  std::vector<InternalError> internal_errors;
};

}  // namespace mae::studio
