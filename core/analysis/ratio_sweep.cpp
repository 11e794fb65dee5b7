// Why: each ratio trains with the preset's recipe and only the ratio
// changed; all runs share the seed, so they see the same images, crops and order.
#include "analysis/ratio_sweep.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "analysis/chart_picture.h"
#include "data/image_io.h"
#include "infer/evaluate.h"
#include "io/metrics_record.h"
#include "io/model_files.h"
#include "recipe/recipe.h"
#include "train/device.h"
#include "train/loader_workers.h"
#include "train/memory_estimate.h"
#include "train/step_thread_tuner.h"
#include "train/trainer.h"
#include "util/atomic_file.h"
#include "util/folder_lock.h"
#include "util/intra_op_threads.h"
#include "util/json_numbers.h"
#include "util/left_out_lines.h"
#include "util/one_line_error.h"

namespace mae {

namespace fs = std::filesystem;

std::vector<double> parse_ratio_list(const std::string& text) {
  std::vector<double> ratios;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    size_t used = 0;
    double v = 0;
    try {
      v = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || !(v >= 0.0 && v < 1.0))
      throw std::invalid_argument("mask ratio '" + item + "' is not a number in [0, 1)");
    ratios.push_back(v);
  }
  if (ratios.empty()) throw std::invalid_argument("no mask ratios given");
  std::sort(ratios.begin(), ratios.end());
  ratios.erase(std::unique(ratios.begin(), ratios.end()), ratios.end());
  return ratios;
}

std::string step_shape(const SweepStatus& status) {
  if (status.accum_steps <= 1) return "";
  return " (" + std::to_string(status.accum_steps) + " micro-batches of " +
         std::to_string(status.batch) + ")";
}

namespace {

void write_json(const std::string& path, const nlohmann::json& j) {
  const std::string text = j.dump(2) + "\n";
  write_file_atomically(path, [&](std::FILE* f) { write_all(f, text.data(), text.size()); });
}

std::optional<nlohmann::json> read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  auto j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

nlohmann::json run_json(const SweepRunResult& r) {
  return {{"ratio", r.ratio},
          {"steps", r.steps},
          {"final_loss", r.final_loss},
          {"mse_own_ratio", r.mse_own},
          {"mse_at_0.75", r.mse_at_075},
          {"mse_images", r.mse_images},
          {"linear_probe_accuracy", r.linear_accuracy},
          {"knn_accuracy", r.knn_accuracy},
          {"train_seconds", r.train_seconds},
          {"checkpoint", r.checkpoint}};
}

std::optional<SweepRunResult> run_from_json(const nlohmann::json& j) {
  try {
    SweepRunResult r;
    r.ratio = j.at("ratio").get<double>();
    r.steps = json_integer(j.at("steps"), "steps");
    r.final_loss = j.at("final_loss").get<double>();
    r.mse_own = j.at("mse_own_ratio").get<double>();
    r.mse_at_075 = j.at("mse_at_0.75").get<double>();
    if (j.contains("mse_images")) r.mse_images = json_integer(j.at("mse_images"), "mse_images");
    r.linear_accuracy = j.at("linear_probe_accuracy").get<double>();
    r.knn_accuracy = j.at("knn_accuracy").get<double>();
    r.train_seconds = j.at("train_seconds").get<double>();
    r.checkpoint = j.at("checkpoint").get<std::string>();
    return r;
  } catch (const std::exception&) {  // json errors, and integers that are not
    return std::nullopt;             // an older or damaged result: the run is scored again
  }
}

// The files that training, scoring and probing left out, train's first: a train/ and val/ pair
// names each folder's, a split of one folder names its files once.
std::vector<std::string> files_left_out(const ProbeData& trained, const ProbeData& scored) {
  std::vector<std::string> files;
  for (const auto* data : {&trained, &scored})
    for (const auto& split : {data->train, data->test})
      for (auto& file : split->unreadable())
        if (std::find(files.begin(), files.end(), file) == files.end()) files.push_back(file);
  return files;
}

EvalResult eval_mse(MaeModel& model, const Dataset& test, double ratio, const SweepOptions& o) {
  EvalOptions e;
  e.ratio = ratio;
  e.seed = o.seed;
  e.max_images = o.eval_images;
  return evaluate(model, test, e);
}

// The run's curve, as `mae train` writes it, so that watching the ratio's folder follows its
// training; a curve that cannot be written is noted once and the run trains on.
class SweepCurve {
 public:
  SweepCurve(const std::string& path, std::optional<CheckpointMark> resumed,
             std::vector<std::string>* notes)
      : notes_(notes) {
    try {
      log_.emplace(path, resumed);
      if (log_->moved_aside()) notes_->push_back(*log_->moved_aside());
    } catch (const std::exception& e) {
      notes_->push_back("the loss curve is not being saved: " + one_line_error(e));
    }
  }
  void write(const StepMetrics& m) {
    if (!log_) return;
    log_->write(m);
    note_failure();
  }
  // Before each save: a resumed run finds every step up to it.
  void flush() {
    if (!log_) return;
    log_->flush();
    note_failure();
  }

 private:
  void note_failure() {
    if (auto failed = log_->new_failure()) notes_->push_back(*failed);
  }
  std::optional<MetricsLog> log_;
  std::vector<std::string>* notes_;
};

// Trains (or continues) one ratio's run; returns false when stopped.
bool train_run(const SweepOptions& o, const Recipe& recipe, double ratio, const ProbeData& data,
               size_t index, const SweepStatusFn& status, std::stop_token stop,
               SweepRunResult* result, std::vector<std::string>* notes) {
  const auto dir = sweep_run_folder(o.out, ratio);
  fs::create_directories(dir);
  // The sweep's folder is locked already; this lock tells a watcher of the ratio's folder
  // when the sweep has gone.
  const FolderLock run_lock(dir, kSweepWriter);
  const auto last = dir + "/last.safetensors";
  std::unique_ptr<Trainer> trainer;
  const bool resumed = fs::exists(last);
  if (resumed) {
    trainer = Trainer::resume(last, data.train, recipe.train.total_steps, nullptr,
                              resume_as(recipe.train));
  } else {
    TrainConfig train = recipe.train;
    train.mask_ratio = ratio;  // first: fewer patches removed keep more activations
    // The recipe's batch as micro-batches that fit, the same images per step.
    train = fit_micro_batch(recipe.model, train, memory_available(resolve_device(train.device)));
    trainer = std::make_unique<Trainer>(recipe.model, train, data.train);
  }
  const int64_t total = trainer->train_config().total_steps;
  if (trainer->current_step() > total)
    throw std::invalid_argument(dir + " holds a run of " + std::to_string(trainer->current_step()) +
                                " steps, more than the " + std::to_string(total) +
                                " asked for: choose another output folder or at least that many "
                                "steps");
  SweepCurve curve(dir + "/metrics.jsonl",
                   resumed
                       ? std::optional(CheckpointMark{trainer->current_step(),
                                                      trainer->last_good_loss(), trainer->run_id()})
                       : std::nullopt,
                   notes);
  const auto save = [&] {
    curve.flush();
    trainer->save(last);
  };
  const int64_t save_every = std::max<int64_t>(25, total / 10);
  const int64_t tail = std::max<int64_t>(1, total / 10);
  double tail_sum = 0;
  int64_t tail_count = 0;
  const auto start = std::chrono::steady_clock::now();
  SweepStatus s{index,
                o.ratios.size(),
                ratio,
                SweepPhase::Training,
                trainer->current_step(),
                total,
                0.0,
                trainer->train_config().batch,
                trainer->train_config().accum_steps};
  // A long step of micro-batches (a big recipe on the CPU) stops between two of them.
  trainer->set_between_micro_batches([stop] { return !stop.stop_requested(); });
  const auto report = [&](const StepMetrics& m) {
    curve.write(m);
    if (!m.nonfinite && m.step > total - tail) {
      tail_sum += m.loss;
      ++tail_count;
    }
    s.step = m.step;
    s.loss = m.loss;
    if (status) status(s);
    if (m.step % save_every == 0) save();
  };
  // The tuner picks within what the thread allows before each step (the app's share of the
  // cores, which its reports may change), and gives that back after it.
  StepThreadTuner tuner;
  const bool adapt = o.adapt_threads && trainer->train_config().device == "cpu";
  while (!trainer->done()) {
    if (stop.stop_requested()) {
      save();
      return false;
    }
    const int allowed = intra_op_threads_here();
    if (adapt)
      set_intra_op_threads_here(tuner.threads_for_next_step(allowed, trainer->last_call_ms(),
                                                            std::chrono::steady_clock::now()));
    const auto metrics_ready = trainer->step();
    if (adapt) set_intra_op_threads_here(allowed);
    for (const auto& m : metrics_ready) report(m);
  }
  for (const auto& m : trainer->drain()) report(m);
  save();
  result->ratio = ratio;
  result->steps = total;
  result->final_loss =
      tail_count > 0 ? tail_sum / static_cast<double>(tail_count) : trainer->last_good_loss();
  result->train_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result->checkpoint = last;
  return true;
}

at::Tensor sweep_picture(const SweepReport& r) {
  const auto series = sweep_series(r);
  const auto& ratios = series.ratio;
  const auto &linear = series.linear_percent, &knn = series.knn_percent;
  const auto &own = series.mse_own, &at075 = series.mse_at_075;
  const double lo = ratios.empty() ? 0 : ratios.front(), hi = ratios.empty() ? 1 : ratios.back();
  Chart accuracy{"Accuracy vs masking ratio", "masking ratio", "test accuracy (%)", {}};
  accuracy.series.push_back({"linear probe", {0.12f, 0.35f, 0.8f}, ratios, linear});
  accuracy.series.push_back({"k-NN (k=20)", {0.9f, 0.45f, 0.1f}, ratios, knn});
  accuracy.series.push_back({"raw pixels, linear",
                             {0.5f, 0.5f, 0.5f},
                             {lo, hi},
                             {100 * r.pixels.linear_accuracy, 100 * r.pixels.linear_accuracy},
                             true,
                             false});
  accuracy.series.push_back(
      {"random encoder, linear",
       {0.7f, 0.2f, 0.6f},
       {lo, hi},
       {100 * r.random_encoder.linear_accuracy, 100 * r.random_encoder.linear_accuracy},
       true,
       false});
  Chart mse{"Masked-patch MSE vs masking ratio", "masking ratio", "MSE (" + r.space + ")", {}};
  mse.series.push_back({"at its own ratio", {0.12f, 0.55f, 0.25f}, ratios, own});
  mse.series.push_back({"at ratio 0.75", {0.8f, 0.15f, 0.15f}, ratios, at075});
  // Twice the layout's size, to read on a slide.
  return make_strip({render_chart(accuracy, 1120, 760, 2), render_chart(mse, 1120, 760, 2)}, 16);
}
}  // namespace

std::string sweep_run_folder(const std::string& out, double ratio) {
  char name[32];
  std::snprintf(name, sizeof name, "ratio-%.2f", ratio);
  return (fs::path(out) / name).string();
}

SweepReport run_sweep(const SweepOptions& options, const SweepStatusFn& status,
                      std::stop_token stop) {
  const auto start = std::chrono::steady_clock::now();
  SweepOptions o = options;
  // Two sweeps in one folder would train the same ratios at once and save over each other.
  FolderLock lock(o.out, kSweepWriter);
  if (lock.held_elsewhere())
    throw std::runtime_error(lock.in_use() +
                             ": choose another output folder, or go on there once that ends");
  o.device = resolve_device(options.device);  // "auto" becomes what every run uses
  if (o.workers <= 0) o.workers = default_loader_workers(o.device, /*local_ranks=*/1);
  Recipe recipe = preset_recipe(o.preset);
  if (o.steps > 0) set_total_steps(recipe, o.steps);
  recipe.train.data = o.data;
  recipe.train.seed = o.seed;
  recipe.train.device = o.device;
  recipe.train.loader_workers = o.workers;
  const auto data =
      open_probe_data(o.data, recipe.model, training_data_options(recipe.model, recipe.train));
  data.train->prepare({}, stop);
  // Scored as `mae eval` and `mae probe` score a checkpoint: on whole pictures fitted to the
  // model, not on the smaller ones training crops from. Fitted once, for every ratio.
  const auto scoring = open_scoring_data(o.data, recipe.model);
  SweepReport report;
  report.options = o;
  report.split = data.how;
  fs::create_directories(o.out);
  for (size_t i = 0; i < o.ratios.size(); ++i) {
    const double ratio = o.ratios[i];
    const auto result_path = sweep_run_folder(o.out, ratio) + "/result.json";
    if (auto saved = read_json(result_path)) {
      if (auto run = run_from_json(*saved); run && run->steps == recipe.train.total_steps) {
        report.runs.push_back(*run);
        continue;
      }
    }
    SweepRunResult run;
    if (!train_run(o, recipe, ratio, data, i, status, stop, &run, &report.notes)) {
      report.cancelled = true;
      break;
    }
    if (status)
      status(
          {i, o.ratios.size(), ratio, SweepPhase::Scoring, run.steps, run.steps, run.final_loss});
    auto model = build_model(read_model_file(run.checkpoint), o.device);
    const auto own = eval_mse(model, *scoring.test, ratio, o);
    run.mse_own = own.model_mse;
    run.mse_images = own.images;
    run.mse_at_075 = eval_mse(model, *scoring.test, 0.75, o).model_mse;
    ProbeRunOptions probe = o.probe;
    probe.references = false;
    const auto scores = run_probe(model, scoring, probe, {}, stop);
    if (scores.cancelled) {
      report.cancelled = true;
      break;
    }
    run.linear_accuracy = scores.encoder.linear_accuracy;
    run.knn_accuracy = scores.encoder.knn_accuracy;
    report.probe_train_items = scores.train_items;
    report.probe_test_items = scores.test_items;
    write_json(result_path, run_json(run));
    report.runs.push_back(run);
  }
  report.space = error_space(recipe.model);
  // Every run is scored on the same items; a result from before the count was kept says none.
  for (const auto& run : report.runs)
    report.eval_items = std::max(report.eval_items, run.mse_images);
  if (!report.cancelled && !report.runs.empty()) {
    if (status) status({o.ratios.size(), o.ratios.size(), 0.0, SweepPhase::References, 0, 0, 0.0});
    // Pixels and a random encoder do not depend on the ratio: measured once, on the same items.
    auto random = make_model(recipe.model, o.seed + 1);
    random->to(at::Device(o.device));
    ProbeRunOptions probe = o.probe;
    probe.references = false;
    auto refs = run_probe(random, scoring, probe, {}, stop);
    report.pixels = probe_pixels(recipe.model, scoring, probe, stop);
    report.random_encoder = refs.encoder;
    report.probe_train_items = refs.train_items;
    report.probe_test_items = refs.test_items;
    report.cancelled = refs.cancelled;
  }
  const auto left_out = left_out_lines(files_left_out(data, scoring), 10);
  report.notes.insert(report.notes.begin(), left_out.begin(), left_out.end());
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!report.cancelled && !report.runs.empty()) {
    report.json_path = (fs::path(o.out) / "sweep.json").string();
    report.picture_path = (fs::path(o.out) / "sweep.png").string();
    write_json(report.json_path, nlohmann::json::parse(sweep_report_json(o, report)));
    save_png(report.picture_path, sweep_picture(report));
  }
  if (status) status({o.ratios.size(), o.ratios.size(), 0.0, SweepPhase::Done, 0, 0, 0.0});
  return report;
}

SweepSeries sweep_series(const SweepReport& report) {
  SweepSeries s;
  for (const auto& run : report.runs) {
    s.ratio.push_back(run.ratio);
    s.linear_percent.push_back(100 * run.linear_accuracy);
    s.knn_percent.push_back(100 * run.knn_accuracy);
    s.mse_own.push_back(run.mse_own);
    s.mse_at_075.push_back(run.mse_at_075);
  }
  return s;
}

std::optional<SweepReport> load_sweep_report(const std::string& out) {
  const auto path = (fs::path(out) / "sweep.json").string();
  const auto j = read_json(path);
  if (!j) return std::nullopt;
  try {
    SweepReport r;
    r.options.out = out;
    r.options.data = j->at("data").get<std::string>();
    r.options.preset = j->at("preset").get<std::string>();
    r.options.ratios = j->at("ratios").get<std::vector<double>>();
    const auto& seed = j->at("seed");
    r.options.seed = seed.is_number_unsigned() ? seed.get<uint64_t>()
                                               : static_cast<uint64_t>(json_integer(seed, "seed"));
    r.options.eval_images = json_integer(j->at("eval_images"), "eval_images");
    if (j->contains("eval_items")) r.eval_items = json_integer(j->at("eval_items"), "eval_items");
    for (const auto& run : j->at("runs")) {
      auto parsed = run_from_json(run);
      if (!parsed) return std::nullopt;
      r.runs.push_back(*parsed);
    }
    auto scores = [](const nlohmann::json& s) {
      ProbeScores p;
      p.linear_accuracy = s.at("linear_probe_accuracy").get<double>();
      p.knn_accuracy = s.at("knn_accuracy").get<double>();
      return p;
    };
    r.pixels = scores(j->at("raw_pixels"));
    r.random_encoder = scores(j->at("random_encoder"));
    r.space = j->at("mse_space").get<std::string>();
    const std::string suffix = ", removed patches only";
    if (r.space.size() > suffix.size() && r.space.ends_with(suffix))
      r.space.resize(r.space.size() - suffix.size());
    r.split = j->at("probe_split").get<std::string>();
    r.probe_train_items = json_integer(j->at("probe_train_items"), "probe_train_items");
    r.probe_test_items = json_integer(j->at("probe_test_items"), "probe_test_items");
    r.options.steps = r.runs.empty() ? 0 : r.runs.front().steps;
    r.options.probe.max_train = r.probe_train_items;
    r.options.probe.max_test = r.probe_test_items;
    r.seconds = j->at("seconds").get<double>();
    r.json_path = path;
    r.picture_path = (fs::path(out) / "sweep.png").string();
    return r;
  } catch (const std::exception&) {  // json errors, and integers that are not
    return std::nullopt;
  }
}

std::string sweep_report_json(const SweepOptions& o, const SweepReport& r) {
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& run : r.runs) runs.push_back(run_json(run));
  nlohmann::json j = {{"data", o.data},
                      {"preset", o.preset},
                      {"ratios", o.ratios},
                      {"seed", o.seed},
                      {"mse_space", r.space + ", removed patches only"},
                      {"eval_images", o.eval_images},
                      {"eval_items", r.eval_items},
                      {"probe_split", r.split},
                      {"probe_train_items", r.probe_train_items},
                      {"probe_test_items", r.probe_test_items},
                      {"runs", runs},
                      {"raw_pixels",
                       {{"linear_probe_accuracy", r.pixels.linear_accuracy},
                        {"knn_accuracy", r.pixels.knn_accuracy}}},
                      {"random_encoder",
                       {{"linear_probe_accuracy", r.random_encoder.linear_accuracy},
                        {"knn_accuracy", r.random_encoder.knn_accuracy}}},
                      {"seconds", r.seconds}};
  return j.dump(2);
}

}  // namespace mae
