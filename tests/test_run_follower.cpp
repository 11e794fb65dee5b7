// Why: the studio follows run folders that another process is writing. It must take only
// whole metrics lines, load a checkpoint only once it has settled, notice a new run and a
// stalled one, and change nothing in the folder, even one it may not write to.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>

#include "io/checkpoint.h"
#include "model/mae_model.h"
#include "small_configs.h"
#include "test_support.h"
#include "train/run_follower.h"
#include "util/folder_lock.h"

namespace {

using Clock = mae::RunFollower::Clock;

void append(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << text;
}

std::string metrics_line(int step, double loss) {
  return "{\"step\":" + std::to_string(step) + ",\"loss\":" + std::to_string(loss) +
         ",\"lr\":0.001,\"images_per_sec\":100.0,\"step_ms\":20.0,\"memory_bytes\":0,"
         "\"nonfinite\":false,\"skipped_files\":0}\n";
}

std::set<std::string> listing(const std::string& folder) {
  std::set<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(folder))
    names.insert(e.path().filename().string());
  return names;
}

}  // namespace

TEST_CASE("a followed run yields whole metrics lines only, and notices a new run") {
  TempDir dir;
  const std::string metrics = dir.path("metrics.jsonl");
  mae::RunFollower follower(dir.root);
  auto t = Clock::now();
  CHECK(follower.poll(t).metrics.empty());
  CHECK(follower.status(t).state == mae::FollowedRunState::Waiting);

  append(metrics, metrics_line(1, 2.5) + metrics_line(2, 2.4));
  const std::string third = metrics_line(3, 2.3);
  append(metrics, third.substr(0, 20));  // the writer is in the middle of a line
  auto u = follower.poll(t += std::chrono::seconds(1));
  REQUIRE(u.metrics.size() == 2);
  CHECK(u.metrics[1].step == 2);
  CHECK(u.metrics[1].loss == doctest::Approx(2.4));
  CHECK(follower.status(t).state == mae::FollowedRunState::Live);

  append(metrics, third.substr(20));
  u = follower.poll(t += std::chrono::seconds(1));
  REQUIRE(u.metrics.size() == 1);
  CHECK(u.metrics[0].step == 3);
  CHECK(u.problems.empty());

  // Garbage, a deep nest and absurd numbers are skipped or clamped, never trusted.
  append(metrics, "not json\n" + std::string(60000, '[') + "\n" +
                      "{\"step\":4,\"loss\":null,\"nonfinite\":true,\"memory_bytes\":1e300}\n");
  u = follower.poll(t += std::chrono::seconds(1));
  REQUIRE(u.metrics.size() == 1);
  CHECK(u.metrics[0].nonfinite);
  CHECK(u.metrics[0].memory_bytes == 0);
  CHECK(u.problems.size() == 2);

  // Nothing new for a long time: stalled (5x the usual gap, at least 30 s).
  CHECK(follower.status(t + std::chrono::seconds(29)).state == mae::FollowedRunState::Live);
  CHECK(follower.status(t + std::chrono::seconds(31)).state == mae::FollowedRunState::Stalled);

  // `mae train` without --resume truncates metrics.jsonl: a new run starts over.
  std::ofstream(metrics, std::ios::trunc) << metrics_line(1, 3.0);
  u = follower.poll(t += std::chrono::seconds(1));
  CHECK(u.restarted);
  REQUIRE(u.metrics.size() == 1);
  CHECK(follower.status().last_step == 1);
}

TEST_CASE("a followed run's log cut back and written past its old end is read again") {
  TempDir dir;
  const std::string metrics = dir.path("metrics.jsonl");
  std::string first_run;
  for (int step = 1; step <= 60; ++step) first_run += metrics_line(step, 2.0);
  append(metrics, first_run);
  mae::RunFollower follower(dir.root);
  auto t = Clock::now();
  REQUIRE(follower.poll(t).metrics.size() == 60);

  // Between two polls a run resumed at step 40 cuts the log back to step 39, as MetricsLog
  // does, and logs more steps than it cut: the file is longer than before, same inode.
  const auto cut = first_run.find("{\"step\":40,");
  std::filesystem::resize_file(metrics, cut);
  std::string resumed;
  for (int step = 40; step <= 90; ++step) resumed += metrics_line(step, 1.0);
  append(metrics, resumed);
  auto u = follower.poll(t += std::chrono::seconds(1));
  CHECK(u.restarted);
  REQUIRE(u.metrics.size() == 90);
  CHECK(u.metrics[38].loss == doctest::Approx(2.0));
  CHECK(u.metrics[39].step == 40);
  CHECK(u.metrics[39].loss == doctest::Approx(1.0));
  CHECK(u.problems.empty());

  // A writer that appends the steps it takes again, without cutting its log back: they are
  // handed on, with one line saying so.
  append(metrics, metrics_line(85, 0.5) + metrics_line(86, 0.4));
  u = follower.poll(t += std::chrono::seconds(1));
  CHECK_FALSE(u.restarted);
  REQUIRE(u.metrics.size() == 2);
  CHECK(u.metrics[0].step == 85);
  REQUIRE(u.problems.size() == 1);
  CHECK(u.problems[0] == metrics +
                             ": step 85 follows step 90: the curve goes on from it, as a run "
                             "resumed from an earlier checkpoint takes its steps again");
  CHECK(follower.status(t).last_step == 86);
}
TEST_CASE("a followed run hands out each checkpoint once, after it has settled") {
  TempDir dir;
  const std::string last = dir.path("last.safetensors");
  auto model = mae::make_model(small_test_model(), 1);
  auto train = small_test_run(40, 1);
  mae::save_checkpoint(last, model, {}, &train, 10, 1.5);
  mae::RunFollower follower(dir.root);
  auto t = Clock::now();
  CHECK_FALSE(follower.poll(t).checkpoint);  // first sight: wait one poll
  auto u = follower.poll(t += std::chrono::milliseconds(500));
  REQUIRE(u.checkpoint);
  CHECK(*u.checkpoint == last);
  CHECK(follower.status().total_steps == 40);
  CHECK_FALSE(follower.poll(t += std::chrono::milliseconds(500)).checkpoint);  // same file

  mae::save_checkpoint(last, model, {}, &train, 20, 1.4);  // renamed into place
  CHECK_FALSE(follower.poll(t += std::chrono::milliseconds(500)).checkpoint);
  CHECK(follower.poll(t += std::chrono::milliseconds(500)).checkpoint);

  // A checkpoint that is not one (a half-copied file settles too): a message, no crash.
  write_bytes(last, {1, 2, 3});
  follower.poll(t += std::chrono::milliseconds(500));
  u = follower.poll(t += std::chrono::milliseconds(500));
  CHECK(u.checkpoint);
  CHECK(u.problems.size() == 1);
}

TEST_CASE("following a run changes nothing in its folder, even a read-only one") {
  TempDir dir;
  const std::string run = dir.path("run");
  std::filesystem::create_directory(run);
  append(run + "/metrics.jsonl", metrics_line(1, 2.0));
  auto model = mae::make_model(small_test_model(), 1);
  mae::save_checkpoint(run + "/last.safetensors", model, {}, nullptr, 1, 2.0);
  const auto before = listing(run);
  const auto metrics_time = std::filesystem::last_write_time(run + "/metrics.jsonl");
  REQUIRE(::chmod(run.c_str(), 0555) == 0);
  mae::RunFollower follower(run);
  auto t = Clock::now();
  for (int i = 0; i < 3; ++i) follower.poll(t += std::chrono::milliseconds(500));
  CHECK(follower.status().last_step == 1);
  ::chmod(run.c_str(), 0755);
  CHECK(listing(run) == before);
  CHECK(std::filesystem::last_write_time(run + "/metrics.jsonl") == metrics_time);
  // A folder that does not exist (yet): one message, then quiet.
  mae::RunFollower missing(dir.path("nope"));
  CHECK(missing.poll().problems.size() == 1);
  CHECK(missing.poll().problems.empty());
}

TEST_CASE("a followed run whose writer is gone before its last step reads as ended at once") {
  TempDir dir;
  auto writer = std::make_unique<mae::FolderLock>(dir.root, mae::kTrainWriter);
  REQUIRE(writer->held());
  append(dir.path("metrics.jsonl"), metrics_line(1, 2.0) + metrics_line(2, 1.9));
  auto model = mae::make_model(small_test_model(), 1);
  auto train = small_test_run(40, 1);
  mae::save_checkpoint(dir.path("last.safetensors"), model, {}, &train, 2, 1.9);
  mae::RunFollower follower(dir.root);
  auto t = Clock::now();
  CHECK_FALSE(follower.poll(t).checkpoint);  // its writer may still be saving: wait a poll
  CHECK(follower.status(t).state == mae::FollowedRunState::Live);
  CHECK(follower.status().writer.rfind("mae train, pid ", 0) == 0);

  writer.reset();  // killed, or stopped with --until: steps 2 of 40
  // Its checkpoint can no longer change, so it comes now, not after a settling poll.
  CHECK(follower.poll(t += std::chrono::milliseconds(100)).checkpoint);
  CHECK(follower.status(t).state == mae::FollowedRunState::Ended);
  CHECK(mae::to_string(follower.status(t).state) == "ended");
  CHECK(follower.status().writer.rfind("mae train, pid ", 0) == 0);  // says whose run it was

  // A run finished (its last step logged) is finished, its writer gone or not.
  append(dir.path("metrics.jsonl"), metrics_line(40, 1.0));
  follower.poll(t += std::chrono::milliseconds(100));
  CHECK(follower.status(t).state == mae::FollowedRunState::Finished);
}
