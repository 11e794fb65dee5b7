// Why: the paper's Figure 5 at small scale: one model per masking ratio, equal budgets, each
// scored by masked-patch MSE and by what its encoder learned (linear probe, k-NN). Shared by
// `mae sweep` and the app's Experiments panel; a run folder per ratio makes it resumable.
#pragma once

#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "analysis/probe.h"

namespace mae {

struct SweepOptions {
  std::string data = "fashion-mnist";
  std::string preset = "fmnist-tiny";
  std::vector<double> ratios{0.25, 0.5, 0.75, 0.9};
  int64_t steps = 0;  // 0: the preset's
  std::string out = "runs/sweep";
  uint64_t seed = 0;
  std::string device = "auto";
  int64_t workers = 0;  // loader threads; 0: as mae train takes them (default_loader_workers)
  int64_t eval_images = 2000;  // test items for the masked-patch MSE
  ProbeRunOptions probe;       // max_train / max_test bound the probes' cost
  // On the CPU, each training step on the threads fastest beside other busy work, within those
  // the calling thread allows (StepThreadTuner); the losses then vary in their last digits.
  bool adapt_threads = false;
};

struct SweepRunResult {
  double ratio = 0.0;
  int64_t steps = 0;
  double final_loss = 0.0;  // mean of the last 10% of steps' losses
  double mse_own = 0.0;     // masked-patch MSE at the run's own ratio
  double mse_at_075 = 0.0;  // at 0.75, the same masks for every run
  int64_t mse_images = 0;   // test images both were measured on (0: a result written before)
  double linear_accuracy = 0.0;
  double knn_accuracy = 0.0;
  double train_seconds = 0.0;
  std::string checkpoint;
};

struct SweepReport {
  SweepOptions options;              // what was run
  std::vector<SweepRunResult> runs;  // finished runs, in ratio order
  ProbeScores pixels, random_encoder;
  std::string space;  // where the MSEs are measured
  std::string split;
  int64_t probe_train_items = 0, probe_test_items = 0;
  int64_t eval_items = 0;  // test images the MSEs were measured on: the runs' mse_images
  double seconds = 0.0;
  bool cancelled = false;
  std::string json_path, picture_path;
  // What went wrong on the way without ending the sweep, a line each: a run's curve
  // (metrics.jsonl) that could not be written, or another run's curve moved aside.
  std::vector<std::string> notes;
};

enum class SweepPhase { Training, Scoring, References, Done };

struct SweepStatus {
  size_t run = 0, runs = 0;  // run index (0-based) and count
  double ratio = 0.0;
  SweepPhase phase = SweepPhase::Training;
  int64_t step = 0, steps = 0;
  double loss = 0.0;
  // Each step as trained: a recipe's batch that does not fit at once on the device is split
  // into micro-batches (the same images per step).
  int64_t batch = 0, accum_steps = 1;
};
using SweepStatusFn = std::function<void(const SweepStatus&)>;
// " (32 micro-batches of 128)" for a split step, else "".
std::string step_shape(const SweepStatus& status);

// Trains and scores every ratio not yet finished in `out` (a finished run keeps its
// result.json; a stopped one resumes from its last.safetensors; each ratio's folder also holds
// its curve, metrics.jsonl, as `mae train` writes it, so watching it follows the run), then writes
// <out>/sweep.json and <out>/sweep.png. Stops between steps (on the CPU, between
// micro-batches) when `stop` is requested, saving the current run so the next call
// continues it.
SweepReport run_sweep(const SweepOptions& options, const SweepStatusFn& status = {},
                      std::stop_token stop = {});

// Where a sweep into `out` trains `ratio`: "<out>/ratio-0.75".
std::string sweep_run_folder(const std::string& out, double ratio);

std::string sweep_report_json(const SweepOptions& options, const SweepReport& report);

// The report's runs as plot columns: ratio, accuracies in percent, MSEs.
struct SweepSeries {
  std::vector<double> ratio, linear_percent, knn_percent, mse_own, mse_at_075;
};
SweepSeries sweep_series(const SweepReport& report);

// The report a finished sweep wrote to <out>/sweep.json, if there is a readable one.
std::optional<SweepReport> load_sweep_report(const std::string& out);

// "0.25,0.5,0.75" -> {0.25, 0.5, 0.75}; throws std::invalid_argument for anything outside
// [0, 1) or an empty list.
std::vector<double> parse_ratio_list(const std::string& text);

}  // namespace mae
