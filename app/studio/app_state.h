// Why: everything the UI shows or edits, in one place the panels share and tests inspect.
// Plain data: the threads behind it (trainer, inference worker) are reached through the
// StudioApp that owns this state.
#pragma once

#include <ATen/core/Tensor.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "inference_worker.h"
#include "training_session.h"
#include "view_renderer.h"

namespace mae::studio {

// The Training form's fields. Choosing a preset (in the form or with --preset) fills every
// field from preset_recipe(), so the app trains the same recipe as `mae train`.
struct TrainingForm {
  char data[512] = "fashion-mnist";
  int preset = 0;  // index into all_presets()
  float mask_ratio = 0.75f;
  int strategy = 0;  // MaskStrategy
  int batch = 128;
  float base_lr = 3e-3f;
  bool norm_pix = false;
  int steps = 600;
  int warmup_steps = 30;
  float crop_min = 0.5f;  // RandomResizedCrop minimum scale
  int device = 0;         // 0 cpu, 1 cuda
};

struct ExplorerState {
  char path[512] = "";
  at::Tensor image;  // (C, H, W) in [0,1]
  std::string image_label;
  float ratio = 0.75f;
  int strategy = 0;
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
  uint64_t model_version_seen = 0;
  double last_latency_ms = 0.0;
  float masked_view_rect[4] = {0, 0, 0, 0};  // screen x, y, width, height (paint target)
};

struct CurveState {
  std::vector<double> steps, loss, smoothed, lr;
  bool log_scale = false;
  float smoothing = 0.9f;
};

struct AppState {
  TrainingForm form;
  ExplorerState explorer;
  CurveState curves;
  StepMetrics last_metrics;
  bool have_metrics = false;  // a step of the current run has been measured
  double mean_step_ms = 0.0;  // recent steps, for the ETA
  std::string data_stage;     // "first pass: decoded 312 of 12 000, ..." while preparing
  std::vector<std::shared_ptr<const TrainingSnapshot>> snapshots;
  int snapshot_index = -1;                                      // -1 follows the newest
  std::shared_ptr<const TrainingSnapshot> checkpoint_snapshot;  // from a loaded checkpoint
  std::deque<std::string> log;                                  // status messages, newest last
  std::string status;
  std::string open_checkpoint_path;
  bool show_help = false;
  bool show_file_browser = false;
  int file_browser_target = 0;  // 0 checkpoint, 1 explorer image, 2 training data
  bool confirm_close = false;
  bool quit = false;
  float ui_scale = 1.0f;
};

}  // namespace mae::studio
