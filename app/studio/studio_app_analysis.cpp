// Why: the StudioApp actions behind the teaching and experiment windows (attention,
// step-through, compare, ratio sweep, probe) and the exports, kept apart from the core
// actions of loading, exploring and training in studio_app.cpp.
#include <ATen/ATen.h>
#include <imgui.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <ctime>
#include <filesystem>

#include "analysis/chart_picture.h"
#include "data/image_io.h"
#include "infer/pipeline_trace.h"
#include "panels.h"
#include "studio_app.h"
#include "train/device.h"
#include "util/format_duration.h"
#include "util/intra_op_threads.h"
#include "util/left_out_lines.h"
#include "util/one_line_error.h"
#include "view_compose.h"

namespace mae::studio {

void StudioApp::export_view(const ImageView& view, const ViewStyle& style, const std::string& name,
                            int scale) {
  try {
    std::filesystem::create_directories(state_.export_dir);
    const auto path =
        state_.export_dir + "/" + name + "-" + std::to_string(std::time(nullptr)) + ".png";
    save_png(path, compose_view(view, style, scale));
    message("exported " + path);
  } catch (const std::exception& e) {
    message(std::string("export failed: ") + one_line_error(e));
  }
}

void StudioApp::export_explorer_views() {
  const auto& e = state_.explorer;
  if (!e.result) {
    message("nothing to export yet");
    return;
  }
  try {
    const auto folder = state_.export_dir + "/explorer-" + std::to_string(std::time(nullptr));
    std::filesystem::create_directories(folder);
    ViewStyle masked, recon, pasted;
    masked.patch_grid = recon.patch_grid = e.show_grid;
    masked.tint_mask = pasted.tint_mask = true;
    recon.heat_map = e.show_heat;
    const auto& r = e.result->main;
    int files = 0;
    auto write = [&](const std::string& name, const ImageView& view, const ViewStyle& style) {
      if (view.empty()) return;
      save_png(folder + "/" + name + ".png", compose_view(view, style, 8));
      ++files;
    };
    write("1-masked", r.masked, masked);
    write("2-reconstruction", r.reconstruction, recon);
    write("3-plus-visible", r.pasted, pasted);
    write("4-original", r.original, ViewStyle{});
    for (const auto& [ratio, views] : e.result->sweep)
      write("5-ratio-" + std::to_string(static_cast<int>(ratio * 100)), views.pasted, pasted);
    if (e.attention.show && !e.attention.view.empty())
      write("6-attention", e.attention.view, ViewStyle{});
    message("exported " + std::to_string(files) + " views to " + folder);
  } catch (const std::exception& ex) {
    message(std::string("export failed: ") + ex.what());
  }
}

namespace {
// Exported curves are 1920x1080, drawn at twice their layout's size, to read on a slide.
constexpr int kChartWidth = 1920, kChartHeight = 1080;
}  // namespace

void StudioApp::export_curves() {
  const auto& c = state_.curves;
  const auto& points = c.points;
  if (points.size() < 2 && state_.earlier_curves.empty()) {
    message("no curve to export yet: a curve needs two steps");
    return;
  }
  // The steps the panel shows, thinned as it thins them, one point per pixel column or four,
  // its log scale as log10 values: the picture's axes are linear.
  const StepSpan steps = shown_steps(state_);
  const auto series = [&](std::string name, std::array<float, 3> colour, const LossCurve& curve,
                          CurveSeries which) {
    ChartSeries out{std::move(name), colour, {}, {}, false, false};
    for (const auto& p : curve.drawn_points(which, steps.first, steps.last, kChartWidth)) {
      if (p.x < steps.first || p.x > steps.last) continue;
      out.x.push_back(p.x);
      out.y.push_back(c.log_scale ? std::log10(std::max(p.y, 1e-12)) : p.y);
    }
    return out;
  };
  Chart chart{c.name.empty() ? "training loss" : c.name + ": training loss",
              "step",
              c.log_scale ? "loss (log10)" : "loss",
              {}};
  constexpr std::array<std::array<float, 3>, 4> kEarlier{
      {{0.55f, 0.55f, 0.55f}, {0.6f, 0.3f, 0.8f}, {0.1f, 0.6f, 0.55f}, {0.8f, 0.3f, 0.45f}}};
  for (size_t i = 0; i < state_.earlier_curves.size(); ++i) {
    const auto& e = state_.earlier_curves[i];
    chart.series.push_back(series(earlier_run_label(e, c) + " (smoothed)",
                                  kEarlier[i % kEarlier.size()], e.points, CurveSeries::Smoothed));
  }
  if (!points.empty()) {
    chart.series.push_back(series("loss", {0.6f, 0.75f, 1.0f}, points, CurveSeries::Loss));
    chart.series.push_back(
        series("smoothed", {0.95f, 0.55f, 0.05f}, points, CurveSeries::Smoothed));
  }
  export_chart(chart, "curves");
}

void StudioApp::set_curve_smoothing(double weight) {
  state_.curve_smoothing = std::clamp(weight, 0.0, 0.999);
  apply_curve_smoothing();
}

void StudioApp::apply_curve_smoothing() {
  const double weight = state_.curve_smoothing;
  state_.curves.points.set_smoothing(weight);
  for (auto& e : state_.earlier_curves) e.points.set_smoothing(weight);
  for (auto& c : state_.experiments.curves) c.points.set_smoothing(weight);
}

void StudioApp::export_sweep_curves() {
  const auto& x = state_.experiments;
  const auto steps = sweep_shown_steps(x);
  if (!steps) {
    message("no sweep curve to export yet: the curves appear as the sweep's runs train");
    return;
  }
  Chart chart{"training loss per masking ratio (smoothed)", "step", "loss", {}};
  for (size_t i = 0; i < x.curves.size(); ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "ratio %.2f", x.curves[i].ratio);
    ChartSeries out{name, sweep_ratio_colour(i, x.curves.size()), {}, {}, false, false};
    for (const auto& p : x.curves[i].points.drawn_points(CurveSeries::Smoothed, steps->first,
                                                         steps->last, kChartWidth)) {
      if (p.x < steps->first || p.x > steps->last) continue;
      out.x.push_back(p.x);
      out.y.push_back(p.y);
    }
    if (!out.x.empty()) chart.series.push_back(std::move(out));
  }
  export_chart(chart, "sweep-curves");
}

void StudioApp::export_chart(const Chart& chart, const std::string& name) {
  try {
    std::filesystem::create_directories(state_.export_dir);
    const auto path =
        state_.export_dir + "/" + name + "-" + std::to_string(std::time(nullptr)) + ".png";
    save_png(path, render_chart(chart, kChartWidth, kChartHeight, 2));
    message("exported " + path);
  } catch (const std::exception& e) {
    message(std::string("export failed: ") + one_line_error(e));
  }
}

void StudioApp::set_attention_query(int row, int col) {
  auto& a = state_.explorer.attention;
  a.query_row = row;
  a.query_col = col;
}

void StudioApp::show_attention(bool show) {
  state_.explorer.attention.show = show;
  if (show && !(state_.explorer.result && state_.explorer.result->attention))
    state_.explorer.dirty = true;
}

void StudioApp::show_step_through(bool show) {
  state_.step_through.show = show;
  if (show && !(state_.explorer.result && !state_.explorer.result->stages.empty()))
    state_.explorer.dirty = true;
}

void StudioApp::step_stage(int delta) {
  auto& st = state_.step_through;
  const int count =
      state_.explorer.result ? static_cast<int>(state_.explorer.result->stages.size()) : 0;
  if (count > 0) st.stage = std::clamp(st.stage + delta, 0, count - 1);
}

void StudioApp::export_step_through() {
  const auto& e = state_.explorer;
  if (!e.result || e.result->stages.empty()) {
    message("nothing to export: the step-through has not been computed yet");
    return;
  }
  const auto folder = state_.export_dir + "/pipeline-" + std::to_string(std::time(nullptr));
  try {
    const int files = export_pipeline_trace(e.result->stages, folder);
    message("exported " + std::to_string(files) + " files (stages as PNGs, stages.txt) to " +
            folder);
  } catch (const std::exception& ex) {
    message(std::string("export failed: ") + ex.what());
  }
}

void StudioApp::open_compare_checkpoint(const std::string& path) {
  auto& c = state_.compare;
  std::snprintf(c.path, sizeof c.path, "%s", path.c_str());
  c.show = true;
  c.result.reset();
  message("compare: opening " + path + " ...");
  compare_worker_.load_checkpoint(path);
}

void StudioApp::show_experiments() {
  auto& x = state_.experiments;
  x.show = true;
  if (x.running || x.report) return;
  if (auto saved = load_sweep_report(x.out)) {
    // The fields show what produced the results, so Start continues that sweep.
    const auto& o = saved->options;
    std::snprintf(x.data, sizeof x.data, "%s", o.data.c_str());
    x.preset = o.preset;
    std::string ratios;
    for (double r : o.ratios) {
      char text[16];
      std::snprintf(text, sizeof text, "%s%g", ratios.empty() ? "" : ",", r);
      ratios += text;
    }
    std::snprintf(x.ratios, sizeof x.ratios, "%s", ratios.c_str());
    x.steps = static_cast<int>(o.steps);
    x.probe_train = static_cast<int>(o.probe.max_train);
    x.probe_test = static_cast<int>(o.probe.max_test);
    follow_sweep_curves(x.out, o.ratios);  // where it is now, if it was moved since
    x.report = std::move(saved);
    message("ratio sweep results from " + x.report->json_path);
  }
}

void StudioApp::open_sweep(const std::string& folder) {
  auto& x = state_.experiments;
  if (x.running) {
    message("cannot open the sweep in " + folder + " while a sweep runs: stop it first");
    return;
  }
  if (!load_sweep_report(folder)) {
    message("cannot open the sweep in " + folder + ": its sweep.json is missing or unreadable");
    return;
  }
  std::snprintf(x.out, sizeof x.out, "%s", folder.c_str());
  x.report.reset();
  show_experiments();
}

void StudioApp::follow_sweep_curves(const std::string& out, const std::vector<double>& ratios) {
  auto& curves = state_.experiments.curves;
  curves.clear();
  state_.experiments.curves_zoom.reset();  // another sweep's steps
  sweep_followers_.clear();
  for (double ratio : ratios) {
    curves.push_back({ratio, {}});
    sweep_followers_.push_back(
        std::make_unique<BackgroundRunFollower>(sweep_run_folder(out, ratio)));
  }
}

// What each ratio's follower found since the last frame. A folder the sweep has not reached
// yet is no problem to report.
void StudioApp::pump_sweep_curves() {
  auto& curves = state_.experiments.curves;
  for (size_t i = 0; i < sweep_followers_.size() && i < curves.size(); ++i) {
    const auto update = sweep_followers_[i]->take();
    auto& c = curves[i];
    if (update.restarted) c.points.clear();
    for (const auto& m : update.metrics)
      if (!m.nonfinite) c.points.add(static_cast<double>(m.step), m.loss, m.lr);
  }
}

void StudioApp::start_sweep() {
  auto& x = state_.experiments;
  if (sweep_job_) return;
  x.problem.clear();
  try {
    SweepOptions o;
    o.data = x.data;
    o.preset = x.preset;
    o.ratios = parse_ratio_list(x.ratios);
    o.steps = std::max(1, x.steps);
    o.out = x.out;
    o.probe.max_train = std::max(0, x.probe_train);
    o.probe.max_test = std::max(0, x.probe_test);
    o.device = resolve_device(o.device);
    o.adapt_threads = true;  // as the app's training: the fastest threads beside other work
    sweep_on_cpu_ = o.device == "cpu";
    sweep_job_ = start_sweep_job(o);
    follow_sweep_curves(o.out, o.ratios);
    x.report.reset();  // the last results are not this sweep's: its own come when it ends
    x.running = true;
    x.progress = {"starting", 0.0, {}};
    message("ratio sweep: " + std::to_string(o.ratios.size()) + " ratios x " +
            std::to_string(o.steps) + " steps into " + o.out);
  } catch (const std::exception& e) {
    job_problem(x.problem, "cannot start the ratio sweep: " + one_line_error(e));
  }
}

void StudioApp::cancel_sweep() {
  if (sweep_job_) sweep_job_->cancel();
}

std::shared_ptr<const PublishedWeights> StudioApp::training_weights_on_screen() const {
  // The worker may not have taken the newest copy yet; the run's latest is what it will show.
  const bool shows_training = worker_.model_info().source.rfind("training step", 0) == 0;
  return shows_training && session_ ? session_->latest_weights() : nullptr;
}

std::string StudioApp::model_on_screen() const {
  if (const auto weights = training_weights_on_screen()) return weights->source + " of the run";
  return state_.open_checkpoint_path;
}

void StudioApp::start_probe() {
  auto& p = state_.probe;
  if (probe_job_) return;
  p.problem.clear();
  ProbeRunOptions o;
  o.max_train = std::max(0, p.max_train);
  o.max_test = std::max(0, p.max_test);
  if (p.checkpoint[0] != '\0') {
    probe_job_ = start_probe_job(p.checkpoint, p.data, o);
    p.probing = p.checkpoint;
  } else if (auto weights = training_weights_on_screen()) {
    p.probing = model_on_screen();
    probe_job_ = start_probe_job(std::move(weights), p.data, o);
  } else if (!state_.open_checkpoint_path.empty()) {
    p.probing = state_.open_checkpoint_path;
    probe_job_ = start_probe_job(p.probing, p.data, o);
  } else {
    job_problem(p.problem, "probe: name a checkpoint first, or open one");
    return;
  }
  p.running = true;
  p.progress = {"starting", 0.0, {}};
  message("probing " + p.probing + " on " + p.data);
}

void StudioApp::cancel_probe() {
  if (probe_job_) probe_job_->cancel();
}

void StudioApp::pump_compare() {
  auto& c = state_.compare;
  while (auto m = compare_worker_.take_message()) message("compare: " + *m);
  compare_worker_.take_checkpoint_snapshot();  // the gallery is not shown for the second model
  const auto info = compare_worker_.model_info();
  if (info.loaded && info.version != c.model_version_seen) {
    c.model_version_seen = info.version;
    c.dirty = true;
  }
  if (auto r = compare_worker_.take_result()) {
    if (!r->error.empty())
      message("compare: reconstruction failed: " + r->error);
    else
      c.result = std::move(*r);
  }
  if (c.show && c.dirty) submit_compare();
}

void StudioApp::submit_compare() {
  auto& c = state_.compare;
  const auto& e = state_.explorer;
  const auto info = compare_worker_.model_info();
  if (!info.loaded || !e.result || !e.image.defined()) return;
  ExploreRequest request;
  request.image = e.image;  // fitted to the model by the worker, once per picture
  request.mask.ratio = e.ratio;
  request.mask.strategy = e.strategy;
  request.mask.seed = static_cast<uint64_t>(e.seed);
  // The very mask of the explorer where the patch grids agree; else the same ratio and seed.
  const auto& mask = e.result->main.mask;
  if (mask.defined() && mask.size(0) == info.config.grid_h() &&
      mask.size(1) == info.config.grid_w())
    request.mask.mask = mask.clone();
  request.id = c.next_request_id++;
  compare_worker_.submit(std::move(request));
  c.dirty = false;
}

void StudioApp::share_cores(bool cpu_training) {
  const bool sweep = sweep_job_ && sweep_on_cpu_;
  const bool probe = probe_job_ != nullptr;
  std::vector<std::string> names;
  if (cpu_training) names.emplace_back("training");
  if (sweep) names.emplace_back("the sweep");
  if (probe) names.emplace_back("the probe");
  auto& share = state_.cpu_share;
  share.of = default_intra_op_threads();
  share.each = names.size() > 1 ? std::max(1, share.of / static_cast<int>(names.size())) : 0;
  share.sharers.clear();
  for (size_t i = 0; i < names.size(); ++i)
    share.sharers += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  if (session_) session_->share_cores(share.each);
  if (sweep_job_) sweep_job_->share_cores(share.each);
  if (probe_job_) probe_job_->share_cores(share.each);
}

void StudioApp::job_problem(std::string& slot, const std::string& text) {
  slot = text;
  message(text);
}

void StudioApp::pump_jobs() {
  auto& x = state_.experiments;
  if (sweep_job_) {
    x.progress = sweep_job_->progress();
    if (auto error = sweep_job_->take_error()) job_problem(x.problem, *error);
    if (auto report = sweep_job_->take_report()) {
      for (const auto& note : report->notes) message(note);
      if (report->cancelled)
        message("ratio sweep stopped: " + std::to_string(report->runs.size()) +
                " runs finished; Start continues it");
      else
        message("ratio sweep done: " + report->json_path + ", " + report->picture_path);
      x.report = std::move(report);
    }
    x.running = sweep_job_->active();
    if (!x.running) sweep_job_.reset();
  }
  pump_sweep_curves();
  auto& p = state_.probe;
  if (probe_job_) {
    p.progress = probe_job_->progress();
    if (auto error = probe_job_->take_error()) job_problem(p.problem, *error);
    if (auto report = probe_job_->take_report()) {
      if (report->cancelled) {
        message("probe stopped");
      } else {
        p.confusion = make_view(render_confusion(report->encoder.confusion, report->class_names));
        message("probe done in " + format_duration(report->seconds));
        for (const auto& line : left_out_lines(report->unreadable, 3)) message("probe " + line);
        p.report = std::move(report);
        p.report_of = p.probing;
      }
    }
    p.running = probe_job_->active();
    if (!p.running) probe_job_.reset();
  }
}

}  // namespace mae::studio
