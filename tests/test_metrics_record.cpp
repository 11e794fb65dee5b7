// Why: metrics.jsonl is written by one build and read by another (a cluster's `mae train`, a
// desktop watching it), and a resumed run must not log its steps twice: the line must read
// back as written, a record of the wrong types must not throw, and a resumed log must drop
// what came after the checkpoint.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "io/metrics_record.h"
#include "test_support.h"

namespace {

mae::StepMetrics at_step(int64_t step) {
  mae::StepMetrics m;
  m.step = step;
  m.loss = 1.0 / static_cast<double>(step);
  return m;
}

// A checkpoint of at_step's run, saved at `step`.
mae::CheckpointMark saved_at(int64_t step) { return {step, 1.0 / static_cast<double>(step)}; }

}  // namespace

TEST_CASE(
    "a step's metrics line reads back as written, and a record of the wrong types does not throw") {
  mae::StepMetrics m;
  m.step = 7;
  m.loss = 0.5;
  m.lr = 1.5e-3;
  m.images_per_sec = 812.5;
  m.step_ms = 157.5;
  m.allreduce_ms = 3.25;
  m.data_wait_ms = 1.5;
  m.memory_bytes = int64_t{3} << 30;
  m.skipped_files = 2;
  m.graphed = true;
  m.run = 0x0123456789abcdefULL;
  m.allreduce_buckets = 3;
  m.buckets_started_in_backward = 2;
  const auto back = mae::parse_metrics_line(mae::metrics_line(m));
  REQUIRE(back);
  CHECK(back->step == 7);
  CHECK(back->loss == 0.5);
  CHECK(back->lr == 1.5e-3);
  CHECK(back->images_per_sec == 812.5);
  CHECK(back->step_ms == 157.5);
  CHECK(back->allreduce_ms == 3.25);
  CHECK(back->data_wait_ms == 1.5);
  CHECK(back->memory_bytes == int64_t{3} << 30);
  CHECK(back->skipped_files == 2);
  CHECK(back->graphed);
  CHECK(back->run == 0x0123456789abcdefULL);
  CHECK(back->allreduce_buckets == 3);
  CHECK(back->buckets_started_in_backward == 2);
  CHECK(mae::metrics_line(m).find("\"run\":\"0123456789abcdef\"") != std::string::npos);
  CHECK_FALSE(back->nonfinite);

  m.nonfinite = true;  // a skipped step's loss is written as null
  CHECK(mae::metrics_line(m).find("\"loss\":null") != std::string::npos);
  CHECK(std::isnan(mae::parse_metrics_line(mae::metrics_line(m))->loss));

  // Flags of another type read as false (nlohmann's value() threw on them).
  const auto odd =
      mae::parse_metrics_line(R"({"step":5,"loss":1.0,"nonfinite":"yes","graphed":3})");
  REQUIRE(odd);
  CHECK_FALSE(odd->nonfinite);
  CHECK_FALSE(odd->graphed);
  CHECK(odd->loss == 1.0);
  // A run that is not 16 hex digits is not known, and the step is still read.
  for (const char* run : {R"("12")", R"("0000000000000000")", R"("0123456789abcdeg")", "12"})
    CHECK(mae::parse_metrics_line(std::string(R"({"step":5,"run":)") + run + "}")->run == 0);
  CHECK(mae::metrics_line(mae::StepMetrics{}).find("run") == std::string::npos);
  // A single process has no buckets to tell of.
  CHECK(mae::metrics_line(mae::StepMetrics{}).find("bucket") == std::string::npos);
  CHECK_FALSE(mae::parse_metrics_line(R"({"step":"5"})"));
  CHECK_FALSE(mae::parse_metrics_line("[1,2]"));
}

TEST_CASE("a resumed run's log keeps the steps up to its checkpoint and drops the rest") {
  TempDir dir;
  const auto path = dir.path("metrics.jsonl");
  {
    mae::MetricsLog log(path, std::nullopt);
    for (int64_t step = 1; step <= 5; ++step) log.write(at_step(step));
    log.flush();
    CHECK_FALSE(log.new_failure());
  }
  CHECK(logged_steps(path) == std::vector<int64_t>{1, 2, 3, 4, 5});
  {
    // Saved at step 3; steps 4 and 5 were logged after it, and the resumed run takes them again.
    mae::MetricsLog log(path, saved_at(3));
    CHECK_FALSE(log.moved_aside());
    CHECK(log.failure().find("the saved curve ends at step 3") != std::string::npos);
    log.write(at_step(4));
  }
  CHECK(logged_steps(path) == std::vector<int64_t>{1, 2, 3, 4});
  // A run killed in the middle of a line: the partial line goes too.
  std::ofstream(path, std::ios::app) << R"({"step":5,"lo)";
  {
    mae::MetricsLog log(path, saved_at(4));
    log.write(at_step(5));
  }
  CHECK(logged_steps(path) == std::vector<int64_t>{1, 2, 3, 4, 5});
  // A new run empties it.
  { mae::MetricsLog log(path, std::nullopt); }
  CHECK(logged_steps(path).empty());
  // A full disk (/dev/full takes the open and refuses every write): the message gives the
  // last step that reached the file, here none.
  {
    mae::MetricsLog full("/dev/full", std::nullopt);
    full.write(at_step(1));
    full.flush();
    CHECK(full.new_failure() ==
          "cannot write /dev/full (disk full?): no step of this run's curve is saved");
    full.write(at_step(2));
    CHECK_FALSE(full.new_failure());  // said once
  }
  {
    mae::MetricsLog log(path, std::nullopt);
    log.write(at_step(1));
    log.flush();
    log.write(at_step(2));
    CHECK_FALSE(log.new_failure());
    CHECK(log.failure().find("the saved curve ends at step 1") != std::string::npos);
  }
  // A folder that is not there: the message names the file and the reason.
  const auto missing = dir.path("no-such-folder/metrics.jsonl");
  CHECK_THROWS_WITH_AS(mae::MetricsLog(missing, std::nullopt),
                       ("cannot write " + missing + ": No such file or directory").c_str(),
                       std::runtime_error);
}

TEST_CASE("a checkpoint's curve is read from the file beside it only when the file is its run's") {
  TempDir dir;
  const auto path = dir.path("metrics.jsonl");
  CHECK(mae::curve_to_checkpoint(path, saved_at(3)).empty());  // no file
  {
    mae::MetricsLog log(path, std::nullopt);
    for (int64_t step = 1; step <= 5; ++step) log.write(at_step(step));
  }
  // Saved at step 3 (loss 1/3): steps 1 to 3, each as logged.
  const auto curve = mae::curve_to_checkpoint(path, saved_at(3));
  REQUIRE(curve.size() == 3);
  CHECK(curve[0].step == 1);
  CHECK(curve[2].step == 3);
  CHECK(curve[1].loss == 0.5);
  // A checkpoint stored its loss as a float: still the same run.
  CHECK(mae::curve_to_checkpoint(path, {3, static_cast<float>(1.0 / 3)}).size() == 3);
  // Another run's curve (its step 3 had another loss), or none of its step: nothing.
  CHECK(mae::curve_to_checkpoint(path, {3, 0.9}).empty());
  CHECK(mae::curve_to_checkpoint(path, saved_at(7)).empty());
  // A checkpoint whose own step was skipped as non-finite keeps the last finite loss: the
  // curve is still its run's.
  {
    mae::MetricsLog log(path, saved_at(5));
    auto skipped = at_step(6);
    skipped.nonfinite = true;
    log.write(skipped);
  }
  CHECK(mae::curve_to_checkpoint(path, {6, 1.0 / 5}).size() == 6);
  CHECK(mae::curve_to_checkpoint(path, {6, 0.9}).empty());
}

TEST_CASE("a resumed log moves another run's curve aside instead of mixing the two") {
  TempDir dir;
  const auto path = dir.path("metrics.jsonl");
  {
    // A newer run started over in the folder and reached step 4 without saving...
    mae::MetricsLog log(path, std::nullopt);
    for (int64_t step = 1; step <= 4; ++step) log.write(at_step(step));
  }
  // ... and the older run's checkpoint of step 3 (loss 0.9) is resumed there.
  {
    mae::MetricsLog log(path, mae::CheckpointMark{3, 0.9});
    REQUIRE(log.moved_aside());
    CHECK(*log.moved_aside() == path + " held another run's curve: it is kept as " +
                                    dir.path("metrics-other-run.jsonl") +
                                    ", and this run's curve starts over");
    log.write(at_step(4));
  }
  CHECK(logged_steps(path) == std::vector<int64_t>{4});
  CHECK(logged_steps(dir.path("metrics-other-run.jsonl")) == std::vector<int64_t>{1, 2, 3, 4});
  // A second time: the first one kept is not overwritten.
  { mae::MetricsLog log(path, mae::CheckpointMark{4, 0.9}); }
  CHECK(logged_steps(dir.path("metrics-other-run-2.jsonl")) == std::vector<int64_t>{4});
  CHECK(logged_steps(dir.path("metrics-other-run.jsonl")) == std::vector<int64_t>{1, 2, 3, 4});
  // A file that ends before the checkpoint's step may be its run's, cut short: it goes on.
  {
    mae::MetricsLog log(path, std::nullopt);
    log.write(at_step(1));
  }
  {
    mae::MetricsLog log(path, saved_at(3));
    CHECK_FALSE(log.moved_aside());
    log.write(at_step(4));
  }
  CHECK(logged_steps(path) == std::vector<int64_t>{1, 4});
}

TEST_CASE("a resumed log tells its run's curve from another's by the run's identity") {
  TempDir dir;
  const auto path = dir.path("metrics.jsonl");
  constexpr uint64_t kSaved = 0x1111, kNewer = 0x2222;
  const auto of_run = [](int64_t step, uint64_t run) {
    auto m = at_step(step);
    m.run = run;
    return m;
  };
  const mae::CheckpointMark saved{3, 1.0 / 3, kSaved};
  // A newer run started over in the folder and was killed at step 2, before the saved run's
  // step 3 and before its own first save: steps and losses cannot tell it from the saved
  // run's curve cut short, its identity can.
  {
    mae::MetricsLog log(path, std::nullopt);
    for (int64_t step = 1; step <= 2; ++step) log.write(of_run(step, kNewer));
  }
  CHECK(mae::curve_to_checkpoint(path, saved).empty());
  {
    mae::MetricsLog log(path, saved);
    CHECK(log.moved_aside());
    log.write(of_run(4, kSaved));
  }
  CHECK(logged_steps(path) == std::vector<int64_t>{4});
  CHECK(logged_steps(dir.path("metrics-other-run.jsonl")) == std::vector<int64_t>{1, 2});
  // The same lines of the saved run itself, cut short: it goes on.
  {
    mae::MetricsLog log(path, std::nullopt);
    for (int64_t step = 1; step <= 2; ++step) log.write(of_run(step, kSaved));
  }
  {
    mae::MetricsLog log(path, saved);
    CHECK_FALSE(log.moved_aside());
    log.write(of_run(4, kSaved));
  }
  CHECK(logged_steps(path) == std::vector<int64_t>{1, 2, 4});
  // Reaching the step with its loss, but another run's: not the checkpoint's curve.
  {
    mae::MetricsLog log(path, std::nullopt);
    for (int64_t step = 1; step <= 3; ++step) log.write(of_run(step, kNewer));
  }
  CHECK(mae::curve_to_checkpoint(path, saved).empty());
  CHECK(mae::curve_to_checkpoint(path, {3, 1.0 / 3, kNewer}).size() == 3);
  // Lines or a checkpoint from before runs had identities: told by step and loss as before.
  CHECK(mae::curve_to_checkpoint(path, saved_at(3)).size() == 3);
}
