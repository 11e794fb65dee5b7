// Why: a run folder holds a run's checkpoint and its curve, metrics.jsonl, whoever trained it:
// the app's own run writes one as `mae train` does, and watching one (the app's or a
// cluster's) follows it read-only, so that a curve outlives the session that drew it.
#include <doctest/doctest.h>
#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "background_run_follower.h"
#include "ended_run_advice.h"
#include "io/checkpoint.h"
#include "io/metrics_record.h"
#include "model/mae_model.h"
#include "panels.h"
#include "recipe/recipe.h"
#include "recipe/recipe_difference.h"
#include "studio_app.h"
#include "studio_harness.h"
#include "test_support.h"
#include "train/run_follower.h"
#include "util/file_identity.h"
#include "util/folder_lock.h"

using namespace mae;
using namespace mae::studio;
using namespace mae::studio::testing;

namespace {

std::vector<int64_t> steps_from_1_to(int64_t last) {
  std::vector<int64_t> steps;
  for (int64_t step = 1; step <= last; ++step) steps.push_back(step);
  return steps;
}

bool finished_at(StudioApp& app, int64_t step) {
  return app.run_state() == SessionState::Finished && app.state().last_metrics.step == step;
}

}  // namespace

TEST_CASE(
    "the app's run writes its curve beside its checkpoint, and a continued run goes on from "
    "the saved step") {
  TempDir temp;  // outlives the windows that use it
  TrainingApp training;
  auto& [ui, renderer, app] = training;
  auto& s = app.state();
  const auto dir = std::filesystem::path(temp.root) / "curve-file";
  const auto metrics = dir / "metrics.jsonl";
  const auto checkpoint = (dir / "run.safetensors").string();
  small_runs_saved_to(app, checkpoint);
  app.set_training_steps(3);
  app.start_training();
  CHECK(s.log.back().find("its curve goes to " + metrics.string()) != std::string::npos);
  REQUIRE(frames_until(ui, app, [&] { return finished_at(app, 3); }));
  ui.frame(app);
  CHECK(logged_steps(metrics) == steps_from_1_to(3));
  {
    std::ifstream in(metrics);
    std::string first;
    std::getline(in, first);
    CHECK(parse_metrics_line(first)->loss == doctest::Approx(s.curves.points.loss.front()));
  }
  // Continued (saved at step 3, then trained to 5): the same file goes on.
  s.form.steps = 5;
  app.continue_training();
  REQUIRE(frames_until(ui, app, [&] { return finished_at(app, 5); }));
  CHECK(logged_steps(metrics) == steps_from_1_to(5));

  // The step-3 save opened and continued in another window while this one still holds the
  // folder (its step 5 is unsaved, and its Save would write there): the other run goes to
  // "<folder>-2", and this run's curve is untouched.
  const auto dir_2 = std::filesystem::path(dir.string() + "-2");
  const auto continue_step_3_save = [&](int64_t to) {
    auto other = std::make_unique<StudioApp>(renderer, options_with(checkpoint));
    std::snprintf(other->state().form.save_path, sizeof other->state().form.save_path, "%s",
                  checkpoint.c_str());
    REQUIRE(frames_until(ui, *other, [&] { return other->worker().model_info().loaded; }));
    ui.frame(*other);
    other->state().form.steps = static_cast<int>(to);
    other->continue_training();
    REQUIRE(frames_until(ui, *other, [&] { return finished_at(*other, to); }));
    return other;
  };
  {
    const auto other = continue_step_3_save(4);
    CHECK(std::string(other->state().form.save_path) == (dir_2 / "run.safetensors").string());
    CHECK(std::any_of(other->state().log.begin(), other->state().log.end(), [&](const auto& l) {
      return l.rfind(dir.string() + " is in use by MAE Studio's training, pid ", 0) == 0 &&
             l.find("; this run saves to " + (dir_2 / "run.safetensors").string()) !=
                 std::string::npos;
    }));
    CHECK(logged_steps(metrics) == steps_from_1_to(5));
    // The new folder's curve holds the whole run: the step-3 save's history, then step 4.
    CHECK(logged_steps(dir_2 / "metrics.jsonl") == steps_from_1_to(4));
    CHECK(other->state().curves.points.steps.size() == 4);
    CHECK(other->state().curves.points.loss.front() ==
          doctest::Approx(s.curves.points.loss.front()));
  }

  // A folder that cannot be made (a file is in the way): Start says so, and no run starts
  // that could save neither its curve nor its weights.
  const auto blocked = (metrics / "run.safetensors").string();
  std::snprintf(s.form.save_path, sizeof s.form.save_path, "%s", blocked.c_str());
  app.set_training_steps(2);
  app.start_training();
  CHECK_FALSE(app.training_active());
  CHECK(s.status.rfind(
            "cannot start training: the save folder " + metrics.string() + " cannot be made (",
            0) == 0);
  CHECK(logged_steps(metrics) == steps_from_1_to(5));
  // A curve file that cannot be opened (a folder in its place): said once, and the run trains
  // on.
  const auto odd_dir = dir / "odd";
  std::filesystem::create_directories(odd_dir / "metrics.jsonl");
  std::snprintf(s.form.save_path, sizeof s.form.save_path, "%s",
                (odd_dir / "run.safetensors").c_str());
  app.start_training();
  REQUIRE(frames_until(ui, app, [&] { return finished_at(app, 2); }));
  ui.frame(app);
  const auto said = std::count_if(s.log.begin(), s.log.end(), [](const std::string& line) {
    return line.find("the loss curve is not being saved: ") != std::string::npos;
  });
  CHECK(said == 1);

  // A full disk (metrics.jsonl leads to /dev/full): said once, and the run trains on.
  const auto full_dir = dir / "full";
  std::filesystem::create_directories(full_dir);
  std::filesystem::create_symlink("/dev/full", full_dir / "metrics.jsonl");
  std::snprintf(s.form.save_path, sizeof s.form.save_path, "%s",
                (full_dir / "run.safetensors").c_str());
  app.start_training();
  REQUIRE(frames_until(ui, app, [&] { return finished_at(app, 2); }));
  ui.frame(app);
  const auto full = std::count_if(s.log.begin(), s.log.end(), [](const std::string& line) {
    return line.find("(disk full?): no step of this run's curve is saved; training goes on") !=
           std::string::npos;
  });
  CHECK(full == 1);

  // This window trains elsewhere now: the step-3 save continued in another window goes on in
  // the folder's file, and steps 4 and 5, logged after that save, give way to its own.
  continue_step_3_save(4);
  CHECK(logged_steps(metrics) == steps_from_1_to(4));

  // Watching the folder later shows that curve.
  app.watch_run(dir.string());
  REQUIRE(frames_until(
      ui, app, [&] { return s.curves.points.steps.size() == 4; }, 10));
  app.stop_watching();

  // A new run starts the file over.
  std::snprintf(s.form.save_path, sizeof s.form.save_path, "%s", checkpoint.c_str());
  app.start_training();
  REQUIRE(frames_until(ui, app, [&] { return finished_at(app, 2); }));
  CHECK(logged_steps(metrics) == steps_from_1_to(2));
}

TEST_CASE(
    "two windows started on one save path train into two folders, and a folder is free again "
    "once its window closes") {
  TempDir temp;  // outlives the windows that use it
  TrainingApp training;
  auto& [ui, renderer, app] = training;
  const auto dir = std::filesystem::path(temp.root) / "two-windows";
  const auto dir_2 = std::filesystem::path(dir.string() + "-2");
  const auto checkpoint = (dir / "run.safetensors").string();
  const auto start = [&](StudioApp& window, int steps) {
    small_runs_saved_to(window, checkpoint);
    window.set_training_steps(steps);
    window.start_training();
    REQUIRE(frames_until(ui, window, [&] { return finished_at(window, steps); }));
  };
  start(app, 3);
  auto second = std::make_unique<StudioApp>(renderer, options_with(""));
  start(*second, 2);
  CHECK(std::string(second->state().form.save_path) == (dir_2 / "run.safetensors").string());
  CHECK(logged_steps(dir / "metrics.jsonl") == steps_from_1_to(3));
  CHECK(logged_steps(dir_2 / "metrics.jsonl") == steps_from_1_to(2));
  // Its curve's message names the folder it really writes.
  CHECK(second->state().log.back().find("its curve goes to " +
                                        (dir_2 / "metrics.jsonl").string()) != std::string::npos);

  // The first window trains again in its own folder, untroubled by the second.
  start(app, 4);
  CHECK(std::string(app.state().form.save_path) == checkpoint);
  CHECK(logged_steps(dir / "metrics.jsonl") == steps_from_1_to(4));

  // A closed window holds nothing: while the first still trains in the folder, a new window
  // gets "-2" again, not "-3".
  second.reset();
  auto third = std::make_unique<StudioApp>(renderer, options_with(""));
  start(*third, 2);
  CHECK(std::string(third->state().form.save_path) == (dir_2 / "run.safetensors").string());
  third.reset();
}

TEST_CASE("a paused run's curve is in its file up to the step it paused at") {
  TempDir temp;  // outlives the windows that use it
  TrainingApp training;
  auto& [ui, renderer, app] = training;
  auto& s = app.state();
  const auto dir = std::filesystem::path(temp.root) / "paused-curve";
  small_runs_saved_to(app, dir / "run.safetensors");
  app.set_training_steps(100000);
  app.start_training();
  // Lines reach the file once a second while it trains: a pause must not leave them waiting.
  REQUIRE(frames_until(ui, app, [&] { return s.have_metrics && s.last_metrics.step >= 5; }));
  app.toggle_pause();
  REQUIRE(frames_until(ui, app, [&] { return app.run_state() == SessionState::Paused; }));
  ui.frame(app);
  const auto steps = logged_steps(dir / "metrics.jsonl");
  REQUIRE_FALSE(steps.empty());
  CHECK(steps.back() == s.last_metrics.step);
  app.stop_training();
  REQUIRE(frames_until(ui, app, [&] { return !app.training_active(); }));
}

namespace {

// Steps from..to appended to dir/metrics.jsonl, as `mae train` writes them.
void append_metrics(const std::filesystem::path& dir, int from, int to) {
  std::ofstream out(dir / "metrics.jsonl", std::ios::app);
  for (int step = from; step <= to; ++step)
    out << "{\"step\":" << step << ",\"loss\":" << 1.0 / step << ",\"lr\":0.001,\"step_ms\":10}\n";
}

}  // namespace

TEST_CASE(
    "a run followed in the background hands each line over once, a restart dropping those "
    "before it") {
  // The follower reads on its own thread (a long run's file held the UI for 200 ms a poll).
  TempDir temp;
  const auto dir = std::filesystem::path(temp.root) / "background-follow";
  std::filesystem::create_directories(dir);
  append_metrics(dir, 1, 3);
  BackgroundRunFollower follower(dir.string(), std::chrono::milliseconds(10));
  const auto reaches = [&](int64_t step) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (follower.status().last_step != step && std::chrono::steady_clock::now() < end)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return follower.status().last_step == step;
  };
  const auto steps_of = [](const RunUpdate& update) {
    std::vector<int64_t> steps;
    for (const auto& m : update.metrics) steps.push_back(m.step);
    return steps;
  };
  REQUIRE(reaches(3));
  auto update = follower.take();
  CHECK(steps_of(update) == steps_from_1_to(3));
  CHECK_FALSE(update.restarted);
  CHECK(follower.status().state == FollowedRunState::Live);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polls that find nothing new
  CHECK(follower.take().metrics.empty());

  append_metrics(dir, 4, 5);
  REQUIRE(reaches(5));
  CHECK(steps_of(follower.take()) == std::vector<int64_t>{4, 5});

  // A new run starts the file over; its lines come with the restart, none of the old run's.
  append_metrics(dir, 6, 7);
  REQUIRE(reaches(7));  // not taken before the restart
  std::filesystem::remove(dir / "metrics.jsonl");
  append_metrics(dir, 1, 2);
  REQUIRE(reaches(2));
  update = follower.take();
  CHECK(update.restarted);
  CHECK(steps_of(update) == steps_from_1_to(2));
}

TEST_CASE("watching a run folder: curves follow metrics.jsonl, each checkpoint brings pictures") {
  TempDir temp;  // outlives the windows that use it
  TrainingApp t;
  auto& [ui, renderer, app] = t;
  const auto dir = std::filesystem::path(temp.root) / "watch";
  std::filesystem::create_directories(dir);
  const auto config = one_block_config("fmnist-tiny");
  auto model = make_model(config, 0);
  TrainConfig train;
  train.total_steps = 6;
  append_metrics(dir, 1, 3);
  // Dropping a folder with metrics.jsonl watches it (a plain folder would be training data).
  app.handle_drop({dir.string()});
  REQUIRE(app.state().watch);
  REQUIRE(frames_until(
      ui, app, [&] { return app.state().curves.points.steps.size() == 3; }, 10));
  CHECK(app.state().watch->run.state == FollowedRunState::Live);
  CHECK(app.state().snapshots.empty());

  save_checkpoint((dir / "last.safetensors").string(), model, {}, &train, 3, 1.0 / 3);
  REQUIRE(frames_until(
      ui, app, [&] { return app.state().snapshots.size() == 1; }, 30));
  CHECK(app.state().watch->checkpoint_step == 3);
  CHECK(app.state().watch->run.total_steps == 6);
  // Live, 3 of 6 steps of 10 ms each: the time left is said as for the app's own run.
  REQUIRE(app.state().watch->run.state == FollowedRunState::Live);
  CHECK(watched_run_progress(app.state().watch->run, app.state()) == "3 / 6  ETA 0m00s");
  CHECK(app.state().watch->recipe == describe_recipe(config, train));  // the run's, not the form's
  CHECK(app.state().snapshots[0]->rows.size() == 6);

  append_metrics(dir, 4, 6);
  save_checkpoint((dir / "last.safetensors").string(), model, {}, &train, 6, 1.0 / 6);
  REQUIRE(frames_until(
      ui, app, [&] { return app.state().snapshots.size() == 2; }, 30));
  CHECK(app.state().curves.points.steps.size() == 6);
  CHECK(app.state().watch->run.state == FollowedRunState::Finished);
  CHECK(watched_run_progress(app.state().watch->run, app.state()) == "6 / 6");
  CHECK(app.state().watch->checkpoint_step == 6);

  // Read-only: the Training panel shows the watched run, not a form for a run of its own
  // (whose batch, steps and lr would not be the watched run's). The form comes back after.
  const float watching_height = ImGui::FindWindowByName("Training")->ContentSize.y;
  // Stop watching: the folder is let go.
  app.stop_watching();
  CHECK_FALSE(app.state().watch);
  ui.frame(app);
  ui.frame(app);
  const float form_height = ImGui::FindWindowByName("Training")->ContentSize.y;
  CHECK(watching_height < form_height / 2);
  // The run's curve file dropped, rather than its folder, watches the folder too.
  app.handle_drop({(dir / "metrics.jsonl").string()});
  REQUIRE(app.state().watch);
  CHECK(app.state().watch->folder == dir.string());
}

TEST_CASE(
    "a watched run resumed after a hard kill goes on in the same curve, and a new run's is set "
    "beside the last") {
  TempDir temp;  // outlives the app watching it
  TrainingApp t;
  auto& [ui, renderer, app] = t;
  const std::filesystem::path dir = temp.root;
  const auto metrics = dir / "metrics.jsonl";
  append_metrics(dir, 1, 60);
  app.watch_run(dir.string());
  const auto& s = app.state();
  REQUIRE(frames_until(
      ui, app, [&] { return s.curves.points.size() == 60; }, 20));
  // Killed at step 60 with its checkpoint at 39, resumed: its log is cut back to step 39 and
  // goes on, past where it ended, between two polls.
  std::ifstream in(metrics);
  std::string kept, line;
  for (int step = 1; step <= 39 && std::getline(in, line); ++step) kept += line + "\n";
  in.close();
  // The steps taken again tell other losses (in another order of batches, say).
  for (int step = 40; step <= 90; ++step)
    kept += "{\"step\":" + std::to_string(step) + ",\"loss\":0.25,\"lr\":0.001,\"step_ms\":10}\n";
  std::ofstream(metrics, std::ios::trunc) << kept;
  REQUIRE(frames_until(
      ui, app, [&] { return s.curves.points.size() == 90; }, 20));
  CHECK(s.curves.points.steps.back() == 90);
  CHECK(s.curves.points.loss[38] == doctest::Approx(1.0 / 39));
  CHECK(s.curves.points.loss[39] == 0.25);
  CHECK(s.earlier_curves.empty());
  CHECK(s.log.back() == dir.string() +
                            ": metrics.jsonl was cut back and goes on (the run resumed from an "
                            "earlier checkpoint): its curve is read again");
  // A new run in the folder (another first loss): the last one's curve is kept beside it.
  std::ofstream(metrics, std::ios::trunc)
      << "{\"step\":1,\"loss\":3.5,\"lr\":0.001,\"step_ms\":10}\n";
  REQUIRE(frames_until(
      ui, app, [&] { return s.curves.points.size() == 1; }, 20));
  REQUIRE(s.earlier_curves.size() == 1);
  CHECK(s.earlier_curves[0].points.size() == 90);
  CHECK(s.curves.name == s.earlier_curves[0].name + " (2)");  // the folder's second run
  CHECK(s.log.back() == dir.string() + ": metrics.jsonl started over (a new run)");

  // Runs that name themselves are told apart by name: the same recipe and seed started over
  // has the same first loss, and is still a new run; the named run resumed goes on.
  const auto named_line = [](int step, double loss, const char* run) {
    return "{\"step\":" + std::to_string(step) + ",\"loss\":" + std::to_string(loss) +
           ",\"run\":\"" + run + "\"}\n";
  };
  std::ofstream(metrics, std::ios::trunc)
      << named_line(1, 2.5, "00000000000000aa") + named_line(2, 2.0, "00000000000000aa");
  REQUIRE(frames_until(
      ui, app, [&] { return s.curves.points.size() == 2; }, 20));
  CHECK(s.earlier_curves.size() == 1);  // a run of one step is not kept beside the next
  std::ofstream(metrics, std::ios::trunc) << named_line(1, 2.5, "00000000000000bb");
  REQUIRE(frames_until(
      ui, app, [&] { return s.earlier_curves.size() == 2 && s.curves.points.size() == 1; }, 20));
  CHECK(s.log.back() == dir.string() + ": metrics.jsonl started over (a new run)");
  std::ofstream(metrics, std::ios::app)
      << named_line(2, 2.0, "00000000000000bb") + named_line(3, 1.8, "00000000000000bb");
  REQUIRE(frames_until(
      ui, app, [&] { return s.curves.points.size() == 3; }, 20));
  std::ofstream(metrics, std::ios::trunc)
      << named_line(1, 2.5, "00000000000000bb") + named_line(2, 1.5, "00000000000000bb") +
             named_line(3, 1.4, "00000000000000bb") + named_line(4, 1.3, "00000000000000bb");
  REQUIRE(frames_until(
      ui, app, [&] { return s.curves.points.size() == 4; }, 20));
  CHECK(s.curves.points.loss[1] == 1.5);
  CHECK(s.earlier_curves.size() == 2);
  CHECK(s.log.back().find("its curve is read again") != std::string::npos);
}

TEST_CASE("a run folder not there yet is watched until a run makes it") {
  TempDir temp;  // outlives the app watching it
  TrainingApp t;
  auto& [ui, renderer, app] = t;
  const std::filesystem::path parent = temp.root;
  const auto& s = app.state();
  // Neither the folder nor the one it would be made in: a typo, not a run yet to come.
  app.watch_run((parent / "typo" / "run").string());
  CHECK_FALSE(s.watch);
  CHECK(s.log.back() == "cannot watch '" + (parent / "typo" / "run").string() +
                            "': neither it nor '" + (parent / "typo").string() + "' is a folder");
  std::ofstream(parent / "a-file") << "x";
  app.watch_run((parent / "a-file").string());
  CHECK_FALSE(s.watch);
  CHECK(s.log.back() == "cannot watch '" + (parent / "a-file").string() + "': not a folder");

  const auto dir = parent / "run";
  const std::string typed = (dir / "").string();  // as typed, ending in a slash
  app.watch_run(typed);
  REQUIRE(s.watch);
  const std::string waiting = std::string("'").append(typed).append("' is not a folder (yet)");
  REQUIRE(frames_until(
      ui, app, [&] { return std::find(s.log.begin(), s.log.end(), waiting) != s.log.end(); }, 20));
  CHECK(s.watch->run.state == FollowedRunState::Waiting);
  CHECK(s.watch->run.folder_missing);  // the panel says a run is to make it
  std::filesystem::create_directories(dir);
  append_metrics(dir, 1, 3);
  REQUIRE(frames_until(
      ui, app, [&] { return s.curves.points.size() == 3; }, 20));
  CHECK(s.watch->run.state == FollowedRunState::Live);
  CHECK_FALSE(s.watch->run.folder_missing);
}

TEST_CASE("an ended run's panel says how it goes on, for the writer its folder's lock names") {
  TempDir temp;  // outlives the windows that use it
  TrainingApp t;
  auto& [ui, renderer, app] = t;
  const auto sweep = std::filesystem::path(temp.root) / "ended-sweep";
  const auto ratio = sweep / "ratio-0.75";
  auto sweep_lock = std::make_unique<FolderLock>(ratio, kSweepWriter);
  REQUIRE(sweep_lock->held());
  append_metrics(ratio, 1, 3);
  auto model = make_model(one_block_config("fmnist-tiny"), 0);
  TrainConfig train;
  train.total_steps = 6;
  save_checkpoint((ratio / "last.safetensors").string(), model, {}, &train, 3, 1.0 / 3);
  app.watch_run(ratio.string());
  REQUIRE(frames_until(
      ui, app, [&] { return app.state().watch->run.state == FollowedRunState::Live; }, 20));
  sweep_lock.reset();  // the sweep was stopped at step 3 of 6
  const auto& watched = app.state().watch;
  REQUIRE(frames_until(
      ui, app,
      [&] {
        return watched->run.state == FollowedRunState::Ended && watched->checkpoint_step == 3;
      },
      20));
  CHECK(watched->run.writer.rfind("a masking-ratio sweep, pid ", 0) == 0);
  // Continue would save to the window's own folder, away from the sweep's table: the sweep
  // run again is what takes this ratio on.
  CHECK(how_to_go_on(*watched) == "run the sweep into " + sweep.string() +
                                      " again (Experiments, or mae sweep --out " + sweep.string() +
                                      "): each ratio goes on from its save");
  auto other = *watched;
  other.run.writer = std::string(kTrainWriter) + ", pid 1 on host, since 2026-12-06 01:00";
  CHECK(how_to_go_on(other) ==
        "mae train --out " + ratio.string() + " --resume, or open it and Continue");
  other.run.writer = std::string(kStudioWriter) + ", pid 1 on host, since 2026-12-06 01:00";
  CHECK(how_to_go_on(other) ==
        "open it and Continue, or mae train --out " + ratio.string() + " --resume");
  app.stop_watching();
}

TEST_CASE("after watching a run folder, its steps are not taken for the app's own run") {
  // Stopping a watch left the watched run's metrics as the app's: the Training panel showed
  // "40 / 600 (idle)", and Continue offered "this run (step 5)" for a run of 2 steps.
  TempDir temp;  // outlives the windows that use it
  TrainingApp t;
  auto& [ui, renderer, app] = t;
  auto& s = app.state();
  s.form.batch = 8;
  s.form.steps = 2;
  app.start_training();
  REQUIRE(frames_until(ui, app, [&] { return app.run_state() == SessionState::Finished; }));
  const auto dir = std::filesystem::path(temp.root) / "watch-after-run";
  std::filesystem::create_directories(dir);
  append_metrics(dir, 1, 5);
  app.watch_run(dir.string());
  REQUIRE(frames_until(
      ui, app, [&] { return s.curves.points.steps.size() == 5; }, 10));
  CHECK(s.last_metrics.step == 5);
  app.stop_watching();
  ui.frame(app);
  CHECK_FALSE(s.have_metrics);
  CHECK(app.continuable().find("this run") == std::string::npos);
  CHECK(s.curves.points.steps.size() == 5);  // kept, to set beside the next run
  CHECK(s.earlier_curves.size() == 1);       // the app's own 2-step run
}

namespace {

// `window` trains from its run (or afresh) to `steps` in `checkpoint`'s folder and saves there.
void train_and_save(HeadlessImGui& ui, StudioApp& window, const std::filesystem::path& checkpoint,
                    int steps) {
  small_runs_saved_to(window, checkpoint);
  window.set_training_steps(steps);
  if (window.state().have_metrics)
    window.continue_training();
  else
    window.start_training();
  REQUIRE(frames_until(ui, window, [&] { return finished_at(window, steps); }));
  window.save_checkpoint(checkpoint.string());
  REQUIRE(frames_until(ui, window, [&] { return window.unsaved_steps() == 0; }));
}

// `window` trains 2 steps in `elsewhere`, which leaves the folder it held free.
void train_elsewhere(HeadlessImGui& ui, StudioApp& window, const std::filesystem::path& elsewhere) {
  small_runs_saved_to(window, elsewhere / "run.safetensors");
  window.set_training_steps(2);
  window.start_training();
  REQUIRE(frames_until(ui, window, [&] { return finished_at(window, 2); }));
}

// A window opened on `checkpoint`, continued in its folder to step `to`.
std::unique_ptr<StudioApp> open_and_continue(HeadlessImGui& ui, MockRenderer& renderer,
                                             const std::filesystem::path& checkpoint, int to) {
  auto opened = std::make_unique<StudioApp>(renderer, options_with(checkpoint.string()));
  small_runs_saved_to(*opened, checkpoint);
  REQUIRE(frames_until(ui, *opened, [&] { return opened->worker().model_info().loaded; }));
  ui.frame(*opened);
  opened->state().form.steps = to;
  opened->continue_training();
  REQUIRE(frames_until(ui, *opened, [&] { return finished_at(*opened, to); }));
  return opened;
}

// A window that opened `checkpoint` at step 3, which `window` then went on to save again at
// step 5 (and left for a folder of its own); the opened window saves its runs there too.
std::unique_ptr<StudioApp> opened_then_saved_again(HeadlessImGui& ui, MockRenderer& renderer,
                                                   StudioApp& window,
                                                   const std::filesystem::path& checkpoint) {
  train_and_save(ui, window, checkpoint, 3);
  auto opened = std::make_unique<StudioApp>(renderer, options_with(checkpoint.string()));
  REQUIRE(frames_until(ui, *opened, [&] { return opened->worker().model_info().step == 3; }));
  train_and_save(ui, window, checkpoint, 5);
  train_elsewhere(ui, window, checkpoint.parent_path().string() + "-elsewhere");
  small_runs_saved_to(*opened, checkpoint);
  return opened;
}

bool said(const StudioApp& window, const std::string& message) {
  const auto& log = window.state().log;
  return std::find(log.begin(), log.end(), message) != log.end();
}

}  // namespace

TEST_CASE(
    "continuing a save whose folder's curve a newer run started over keeps that curve apart") {
  // Before, the newer run's steps up to the save's were kept and the continued run's appended
  // to them: one file, two runs' curves.
  TempDir temp;  // outlives the windows that use it
  TrainingApp training;
  auto& [ui, renderer, app] = training;
  const auto dir = std::filesystem::path(temp.root) / "other-curve";
  const auto elsewhere = std::filesystem::path(dir.string() + "-elsewhere");
  const auto checkpoint = dir / "run.safetensors";
  train_and_save(ui, app, checkpoint, 3);
  train_elsewhere(ui, app, elsewhere);
  // A newer run started over in the folder, reached step 6 and was never saved.
  std::filesystem::remove(dir / "metrics.jsonl");
  append_metrics(dir, 1, 6);

  const auto opened = open_and_continue(ui, renderer, checkpoint, 5);
  const auto aside = dir / "metrics-other-run.jsonl";
  CHECK(logged_steps(aside) == steps_from_1_to(6));
  CHECK(logged_steps(dir / "metrics.jsonl") == std::vector<int64_t>{4, 5});
  CHECK(said(*opened, (dir / "metrics.jsonl").string() +
                          " held another run's curve: it is kept as " + aside.string() +
                          ", and this run's curve starts over"));
  // The other run's steps are not this checkpoint's history.
  CHECK(opened->state().curves.points.steps == std::vector<double>{4, 5});
}

TEST_CASE("continuing a save that was saved again since it was opened goes on from the file") {
  // Before, the window said "continuing from step 3" and looked for step 3's curve while the
  // run went on from the newer save's step.
  TempDir temp;  // outlives the windows that use it
  TrainingApp training;
  auto& [ui, renderer, app] = training;
  const auto dir = std::filesystem::path(temp.root) / "saved-again";
  const auto checkpoint = dir / "run.safetensors";
  auto opened = opened_then_saved_again(ui, renderer, app, checkpoint);
  opened->state().form.steps = 7;
  opened->continue_training();
  REQUIRE(frames_until(ui, *opened, [&] { return finished_at(*opened, 7); }));
  // Not "from step 3" when it is pressed: the file's step is said once it has been read.
  CHECK(said(*opened,
             "continuing from " + checkpoint.string() + " as saved since it was opened to step 7"));
  CHECK(said(*opened, checkpoint.string() +
                          " was saved again since it was opened: the run goes on from its step "
                          "5, not 3"));
  // The curve that led to the step-5 save, then the continued steps.
  CHECK(logged_steps(dir / "metrics.jsonl") == steps_from_1_to(7));
  CHECK(opened->state().curves.points.steps.size() == 7);
  opened.reset();
}

TEST_CASE("continuing a save that was saved again past the steps asked for trains nothing") {
  // Before, steps checked against the step read at opening (3) let a total of 4 through; the
  // file was at step 5, so the run trained nothing and saved the file again as "finished".
  TempDir temp;  // outlives the windows that use it
  TrainingApp training;
  auto& [ui, renderer, app] = training;
  const auto dir = std::filesystem::path(temp.root) / "saved-past";
  const auto checkpoint = dir / "run.safetensors";
  auto opened = opened_then_saved_again(ui, renderer, app, checkpoint);
  const auto saved = file_identity(checkpoint.string());
  opened->state().form.steps = 4;
  opened->continue_training();
  // The session fails before the window has taken its message: wait for the message.
  const auto refusal = "cannot start training: " + checkpoint.string() +
                       " was saved again since it was opened and is at step 5: set steps above 5 "
                       "to continue it";
  REQUIRE(frames_until(ui, *opened, [&] { return said(*opened, refusal); }));
  CHECK(opened->run_state() == SessionState::Failed);
  CHECK(file_identity(checkpoint.string()) == saved);  // not written again
  CHECK(logged_steps(dir / "metrics.jsonl") == steps_from_1_to(5));
  opened.reset();
}

TEST_CASE(
    "an opened checkpoint saved over or deleted since is said so, and Reload shows the save") {
  // Before, the Checkpoint panel went on describing the save that was read, with nothing to
  // say that the file had changed.
  LaunchedApp launched("mae-studio-test-opened-file");
  auto& [dir, ui, renderer, app] = launched;
  const auto path = (dir / "tiny.safetensors").string();
  REQUIRE(app.worker().model_info().step == 7);
  CHECK(app.state().opened_file == OpenedFileState::AsOpened);
  auto model = make_model(app.worker().model_info().config, 1);
  save_checkpoint(path, model, {}, nullptr, 42, 0.25);  // another run saves over it
  REQUIRE(frames_until(
      ui, app, [&] { return app.state().opened_file == OpenedFileState::SavedAgain; }, 20));
  CHECK(said(app, path + " was saved again since it was opened: Reload in the Checkpoint panel "
                         "shows it"));
  CHECK(app.worker().model_info().step == 7);  // what was read stays until asked

  app.open_checkpoint(path);  // the panel's Reload
  REQUIRE(frames_until(ui, app, [&] { return app.worker().model_info().step == 42; }));
  CHECK(app.state().opened_file == OpenedFileState::AsOpened);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // a check, with no change
  ui.frame(app);
  CHECK(app.state().opened_file == OpenedFileState::AsOpened);

  // Saved over while it opens: "saved again" exactly when what was read is not what is on
  // disk. Before, the file was compared with its state when Open was pressed, so a save the
  // worker then read was reported as a change.
  for (int64_t step : {43, 44, 45}) {
    app.open_checkpoint(path);
    save_checkpoint(path, model, {}, nullptr, step, 0.25);
    REQUIRE(frames_until(ui, app, [&] { return !app.worker().busy(); }));
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // a check comes
    ui.frame(app);
    const bool read_the_save = app.worker().model_info().step == step;
    CHECK((app.state().opened_file == OpenedFileState::SavedAgain) == !read_the_save);
  }

  std::filesystem::remove(path);
  REQUIRE(frames_until(
      ui, app, [&] { return app.state().opened_file == OpenedFileState::Gone; }, 20));
  CHECK(said(app, path + " is no longer on disk: what is shown was read before"));
}
