// Why: the probe and the ratio sweep run in the background beside the window, and beside a
// training run, whose cores they share; a checkpoint they cannot measure (weights of NaN) says so.
#include <doctest/doctest.h>
#include <imgui.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "analysis_jobs.h"
#include "io/checkpoint.h"
#include "io/model_files.h"
#include "studio_app.h"
#include "studio_harness.h"
#include "util/intra_op_threads.h"

using namespace mae;
using namespace mae::studio;
using namespace mae::studio::testing;

TEST_CASE("probe and experiments run in the background and report into their windows") {
  require_fashion_mnist();
  LaunchedApp launched("mae-studio-test-probe");
  auto& [dir, ui, renderer, app] = launched;
  auto& s = app.state();
  s.probe.show = true;
  std::snprintf(s.probe.checkpoint, sizeof s.probe.checkpoint, "%s",
                (dir / "tiny.safetensors").c_str());
  s.probe.max_train = 300;
  s.probe.max_test = 100;
  app.start_probe();
  CHECK(s.probe.running);
  REQUIRE(frames_until(
      ui, app, [&] { return s.probe.report.has_value(); }, 120));
  CHECK(s.probe.report->test_items == 100);
  CHECK(s.probe.report->pixels.linear_accuracy > 0.3);  // ten classes: chance is 0.1
  CHECK(!s.probe.confusion.empty());

  setenv("MAE_CACHE_DIR", (dir / "cache").c_str(), 1);
  auto& x = s.experiments;
  x.show = true;
  // A refused Start says why in the window, where the user is looking, until the next Start.
  std::snprintf(x.ratios, sizeof x.ratios, "0.5,abc");
  app.start_sweep();
  CHECK_FALSE(x.running);
  CHECK(x.problem == "cannot start the ratio sweep: mask ratio 'abc' is not a number in [0, 1)");
  ui.frame(app);
  std::snprintf(x.ratios, sizeof x.ratios, "0.5,0.75");
  x.steps = 3;
  x.probe_train = 200;
  x.probe_test = 100;
  std::snprintf(x.out, sizeof x.out, "%s", (dir / "sweep").c_str());
  app.start_sweep();
  CHECK(x.problem.empty());
  REQUIRE(frames_until(
      ui, app, [&] { return x.report.has_value() && !x.running; }, 300));
  CHECK(x.report->runs.size() == 2);
  CHECK(std::filesystem::exists(dir / "sweep" / "sweep.png"));
  CHECK(x.progress.parts == std::vector<double>{1.0, 1.0});
  // Each ratio's loss curve, read from its run folder as the sweep wrote it.
  const auto every_run_curve_has_3_steps = [&] {
    return x.curves.size() == 2 && x.curves[0].points.steps == std::vector<double>{1, 2, 3} &&
           x.curves[1].points.steps == std::vector<double>{1, 2, 3};
  };
  REQUIRE(frames_until(ui, app, every_run_curve_has_3_steps, 10));
  CHECK(x.curves[1].ratio == 0.75);
  // Opening the window again (as after a restart) shows the saved results.
  x.report.reset();
  x.show = false;
  x.steps = 999;
  app.show_experiments();
  REQUIRE(x.report.has_value());
  CHECK(x.report->runs.size() == 2);
  CHECK(x.steps == 3);  // the fields show what produced the results
  CHECK(std::string(x.ratios) == "0.5,0.75");
  REQUIRE(x.curves.size() == 2);
  CHECK(x.curves[0].points.steps.empty());  // read again, from the files
  CHECK(frames_until(ui, app, every_run_curve_has_3_steps, 10));
  // Started again, the window shows no results but the sweep's own, once it ends.
  app.start_sweep();
  CHECK_FALSE(x.report.has_value());
  REQUIRE(frames_until(
      ui, app, [&] { return x.report.has_value() && !x.running; }, 300));
  CHECK(x.report->runs.size() == 2);

  // A sweep's folder (or its sweep.json) dropped on the window opens it in Experiments, from
  // where it is now.
  std::filesystem::rename(dir / "sweep", dir / "moved");
  std::snprintf(x.out, sizeof x.out, "%s", "elsewhere");
  x.report.reset();
  app.handle_drop({(dir / "moved" / "sweep.json").string()});
  REQUIRE(x.report.has_value());
  CHECK(std::string(x.out) == (dir / "moved").string());
  CHECK(frames_until(ui, app, every_run_curve_has_3_steps, 10));
  app.handle_drop({(dir / "moved" / "ratio-0.50").string()});  // a ratio's run: watched
  CHECK(app.state().watch);
}

TEST_CASE("a background job takes up its share of the cores at its next report") {
  std::atomic<int> threads{0};
  BackgroundJob<int> job(
      [&](const BackgroundJob<int>::ProgressFn& progress, std::stop_token stop) {
        while (!stop.stop_requested()) {
          progress({});
          threads = at::get_num_threads();  // what the job's ATen ops would use now
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        return 0;
      },
      "");
  const auto reaches = [&](int wanted) {
    for (int i = 0; i < 1000 && threads != wanted; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return threads == wanted;
  };
  const int all = mae::default_intra_op_threads();
  CHECK(reaches(all));
  job.share_cores(1);
  CHECK(reaches(1));
  job.share_cores(0);
  CHECK(reaches(all));
  job.cancel();
}

TEST_CASE("a probe beside a CPU training run splits the cores with it, and says so") {
  // Two OpenMP teams as wide as the machine slow each other several times over.
  LaunchedApp launched("mae-studio-test-cpu-share");
  auto& [dir, ui, renderer, app] = launched;
  auto& s = app.state();
  s.form.device = ComputeDevice::Cpu;
  s.form.batch = 8;
  app.set_training_steps(100000);
  app.start_training();
  REQUIRE(frames_until(ui, app, [&] { return app.run_state() == SessionState::Running; }));
  CHECK(s.cpu_share.each == 0);  // training alone uses every core
  s.probe.show = true;
  std::snprintf(s.probe.checkpoint, sizeof s.probe.checkpoint, "%s",
                (dir / "tiny.safetensors").c_str());
  s.probe.max_train = 60000;
  app.start_probe();
  ui.frame(app);
  const int all = mae::default_intra_op_threads();
  CHECK(s.cpu_share.each == std::max(1, all / 2));
  CHECK(s.cpu_share.of == all);
  CHECK(s.cpu_share.sharers == "training and the probe");
  app.cancel_probe();
  REQUIRE(frames_until(ui, app, [&] { return !s.probe.running; }));
  CHECK(s.cpu_share.each == 0);
  app.stop_training();
  REQUIRE(frames_until(ui, app, [&] { return !app.training_active(); }));
}

TEST_CASE("a probe with no checkpoint named measures the model on screen") {
  require_fashion_mnist();
  LaunchedApp launched("mae-studio-test-probe-on-screen");
  auto& [dir, ui, renderer, app] = launched;
  auto& s = app.state();
  const auto opened = (dir / "tiny.safetensors").string();
  CHECK(app.model_on_screen() == opened);
  s.form.device = ComputeDevice::Cpu;
  s.form.batch = 8;
  app.set_training_steps(100000);
  app.start_training();
  // Once the explorer shows training's weights, an empty field means them.
  REQUIRE(frames_until(
      ui, app, [&] { return app.worker().model_info().source.rfind("training step", 0) == 0; }));
  CHECK(app.model_on_screen().rfind("training step ", 0) == 0);
  s.probe.show = true;
  s.probe.max_train = 300;
  s.probe.max_test = 100;
  app.start_probe();
  REQUIRE(s.probe.running);
  CHECK(s.probe.probing.rfind("training step ", 0) == 0);
  CHECK(s.probe.checkpoint[0] == '\0');  // still empty: the next probe takes newer weights
  REQUIRE(frames_until(
      ui, app, [&] { return s.probe.report.has_value(); }, 300));
  CHECK(s.probe.report_of == s.probe.probing);
  CHECK(s.probe.report->test_items == 100);
  app.stop_training();
  REQUIRE(frames_until(ui, app, [&] { return !app.training_active(); }));
  // Not following training, the explorer goes back to the opened checkpoint, and so does
  // the probe.
  app.set_follow_training(false);
  REQUIRE(frames_until(ui, app, [&] { return app.worker().model_info().source == opened; }));
  CHECK(app.model_on_screen() == opened);
  app.start_probe();
  CHECK(s.probe.probing == opened);
  app.cancel_probe();
  REQUIRE(frames_until(ui, app, [&] { return !s.probe.running; }));
}

TEST_CASE("a probe of published weights measures what a probe of the same file does") {
  require_fashion_mnist();
  LaunchedApp launched("mae-studio-test-probe-published");
  const auto path = (launched.dir / "tiny.safetensors").string();
  const auto file = read_model_file(path);
  auto weights = std::make_shared<PublishedWeights>();
  weights->config = file.config;
  weights->weights = file.tensors;
  weights->source = "training step 7";
  ProbeRunOptions o;
  o.max_train = 300;
  o.max_test = 100;
  const auto finish = [](ProbeJob& job) {
    for (int i = 0; i < 6000 && job.active(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (const auto error = job.take_error()) FAIL(*error);
    auto report = job.take_report();
    REQUIRE(report.has_value());
    return *report;
  };
  auto from_file = start_probe_job(path, "fashion-mnist", o);
  const auto a = finish(*from_file);
  auto from_weights = start_probe_job(weights, "fashion-mnist", o);
  const auto b = finish(*from_weights);
  CHECK(a.encoder.linear_accuracy == b.encoder.linear_accuracy);
  CHECK(a.encoder.knn_accuracy == b.encoder.knn_accuracy);
  CHECK(a.test_items == b.test_items);
}

TEST_CASE("a checkpoint whose weights hold NaN is named once when opened, and is not probed") {
  require_fashion_mnist();
  const auto dir = LaunchedApp::make_dir("mae-studio-test-nan-weights");
  auto model = make_model(one_block_config("fmnist-tiny"), 0);
  model->decoder_pred->bias.data()[0] = NAN;
  const auto path = (dir / "diverged.safetensors").string();
  save_checkpoint(path, model, {}, nullptr, 7, 0.5);
  {
    HeadlessImGui ui;
    MockRenderer renderer;
    StudioApp app(renderer, options_with(path));
    const auto said = [&] {
      const auto& log = app.state().log;
      return std::count_if(log.begin(), log.end(), [&](const std::string& line) {
        return line.find("'" + path + "': 1 weight value is NaN or infinite") == 0;
      });
    };
    REQUIRE(frames_until(ui, app, [&] { return said() > 0; }));
    for (int i = 0; i < 5; ++i) ui.frame(app);
    CHECK(said() == 1);
    CHECK(app.worker().model_info().loaded);  // still open: what it is can be read
    auto& s = app.state();
    std::snprintf(s.probe.checkpoint, sizeof s.probe.checkpoint, "%s", path.c_str());
    app.start_probe();
    REQUIRE(frames_until(ui, app, [&] { return !s.probe.running; }));
    CHECK_FALSE(s.probe.report.has_value());
    INFO(s.probe.problem);
    CHECK(s.probe.problem.find("nothing to probe: '" + path + "'") != std::string::npos);
  }
  std::filesystem::remove_all(dir);
}
