// Why: a data-parallel run must be the same run as one process with the whole batch, not a
// similar one; it must resume exactly; and a rank that dies or hangs must end the run with
// a message instead of a silent hang. The last three cases run the real `mae` command as
// two Gloo ranks on this machine, exactly as a user would.
#include <ATen/ATen.h>
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "data/dataset.h"
#include "dist/communicator.h"
#include "dist/gradient_buckets.h"
#include "dist/rank_layout.h"
#include "io/checkpoint.h"
#include "model/presets.h"
#include "test_support.h"
#include "train/allreduce_tally.h"
#include "train/optimizer.h"
#include "weight_difference.h"

namespace {

using Env = std::map<std::string, std::string>;

mae::EnvLookup lookup(const Env& env) {
  return [&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
}

// The `mae` built beside these tests, or the one MAE_CLI_PATH names (the GPU check runs
// prebuilt copies, away from the folder they were built in).
std::string mae_cli() {
  const char* env = std::getenv("MAE_CLI_PATH");
  return env && *env ? env : MAE_CLI_PATH;
}

// Runs `mae train` with `args`, output to `log`; returns the exit status. On the CPU also where
// there is a GPU: these are Gloo's ranks, which "auto" would put on GPUs there.
int mae_train(const std::string& args, const std::string& log) {
  const std::string command = "OMP_NUM_THREADS=1 " + mae_cli() +
                              " train --preset fmnist-tiny --data fashion-mnist --workers 1 "
                              "--device cpu --log-every 5 " +
                              args + " >" + log + " 2>&1";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<double> losses(const std::string& run) {
  std::vector<double> out;
  std::ifstream in(run + "/metrics.jsonl");
  for (std::string line; std::getline(in, line);)
    out.push_back(nlohmann::json::parse(line)["loss"].get<double>());
  return out;
}

// The largest difference between two runs' weights.
WeightDifference weight_difference(const std::string& a, const std::string& b) {
  const auto wa = mae::read_checkpoint(a + "/last.safetensors").content;
  const auto wb = mae::read_checkpoint(b + "/last.safetensors").content;
  WeightDifference d;
  int compared = 0;
  for (const auto& [name, tensor] : wa.tensors) {
    if (name.rfind("optimizer.", 0) == 0) continue;
    const at::Tensor* other = wb.find(name);
    REQUIRE_MESSAGE(other, name);
    d.add(name, tensor, *other);
    ++compared;
  }
  REQUIRE(compared > 10);
  return d;
}

}  // namespace

TEST_CASE("torchrun's variables give the rank layout") {
  const Env env{{"RANK", "3"},
                {"WORLD_SIZE", "8"},
                {"LOCAL_RANK", "1"},
                {"LOCAL_WORLD_SIZE", "2"},
                {"MASTER_ADDR", "node0"},
                {"MASTER_PORT", "29400"},
                {"TORCHELASTIC_RUN_ID", "x"},
                {"TORCHELASTIC_USE_AGENT_STORE", "True"}};
  const auto l = mae::rank_layout_from_env(lookup(env));
  REQUIRE(l);
  CHECK(l->rank == 3);
  CHECK(l->world == 8);
  CHECK(l->local_rank == 1);
  CHECK(l->local_world == 2);
  CHECK(l->master_addr == "node0");
  CHECK(l->master_port == 29400);
  CHECK(l->store_is_hosted_by_agent);
  CHECK(l->launcher == "torchrun");
  CHECK_FALSE(mae::rank_layout_from_env(lookup(Env{})));
}

TEST_CASE("Slurm's variables give the rank layout, the master from the node list") {
  const Env env{{"SLURM_PROCID", "5"},
                {"SLURM_STEP_NUM_TASKS", "16"},
                {"SLURM_LOCALID", "1"},
                {"SLURM_STEP_TASKS_PER_NODE", "4(x4)"},
                {"SLURM_STEP_NODELIST", "gpu[07-10]"},
                {"SLURM_JOB_ID", "123456"}};
  const auto l = mae::rank_layout_from_env(lookup(env));
  REQUIRE(l);
  CHECK(l->rank == 5);
  CHECK(l->world == 16);
  CHECK(l->local_rank == 1);
  CHECK(l->local_world == 4);
  CHECK(l->master_addr == "gpu07");
  CHECK(l->master_port == 29500 + 123456 % 10000);
  CHECK(l->launcher == "slurm");
  CHECK(mae::first_slurm_host("a1,b2") == "a1");
  CHECK(mae::first_slurm_host("cn[3,5-9],gpu1") == "cn3");
  CHECK(mae::first_slurm_host("login") == "login");
  // A batch script's single task is a plain run.
  CHECK_FALSE(
      mae::rank_layout_from_env(lookup(Env{{"SLURM_PROCID", "0"}, {"SLURM_STEP_NUM_TASKS", "1"}})));
}

TEST_CASE("malformed launcher variables are refused with the variable's name") {
  auto message = [](const Env& env) {
    try {
      mae::rank_layout_from_env(lookup(env));
    } catch (const mae::DistError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  const Env base{{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "1"}};
  auto with = [&base](const char* key, const char* value) {
    Env e = base;
    e[key] = value;
    return e;
  };
  CHECK(message(with("WORLD_SIZE", "two")).find("WORLD_SIZE='two'") != std::string::npos);
  CHECK(message(with("RANK", "2")).find("not below the world size") != std::string::npos);
  CHECK(message(with("MASTER_PORT", "70000")).find("MASTER_PORT") != std::string::npos);
  CHECK(message(with("RANK", "-1")).find("RANK='-1'") != std::string::npos);
  Env no_master = base;
  no_master.erase("MASTER_ADDR");
  CHECK(message(no_master).find("MASTER_ADDR") != std::string::npos);
}

TEST_CASE("gradients are packed into buckets from the last parameter back") {
  std::vector<at::Tensor> params{at::zeros({100}), at::zeros({300}), at::zeros({50}),
                                 at::zeros({10})};
  // 1600 bytes per bucket: {10, 50} floats = 240 B, then 300 floats = 1200 B (total 1440),
  // then 100 floats would pass 1600 B: a new bucket.
  mae::GradientBuckets buckets(params, 1600);
  CHECK(buckets.bucket_count() == 2);
  CHECK(buckets.bytes_per_step(3) == (100 + 300 + 50 + 10 + 3) * sizeof(float));
  CHECK(mae::GradientBuckets(params).bucket_count() == 1);
}

TEST_CASE(
    "gradient buckets start their all-reduce inside backward, in order, unless overlap is off") {
  mae::RankLayout alone;  // a world of one rank, its store on a port the kernel picks
  alone.master_port = 0;
  const auto comm = mae::Communicator::connect(alone, "cpu", std::chrono::seconds(60));
  auto model = mae::make_model(mae::find_preset("fmnist-tiny").model, 1);
  std::vector<at::Tensor> params;
  for (const auto& p : mae::trainable_parameters(model)) params.push_back(p.tensor);
  const auto images = at::randn({4, 1, 28, 28});
  const auto noise = at::rand({4, 49});
  // One step of `params`' buckets; returns how many started inside backward, having checked
  // that finish() leaves each gradient as backward made it (the mean over one rank) and
  // sums the stats.
  const auto step = [&](const std::vector<at::Tensor>& tensors, bool overlap) {
    for (const auto& t : tensors) t.mutable_grad().reset();
    mae::GradientBuckets buckets(tensors, size_t{256} << 10, overlap);
    REQUIRE(buckets.bucket_count() > 4);
    buckets.start(*comm, {1.5}, "a test's all-reduce");
    model->training_loss(images, noise, 12).backward();
    std::vector<at::Tensor> grads;
    for (const auto& t : tensors)
      grads.push_back(t.grad().defined() ? t.grad().clone() : at::Tensor());
    CHECK(buckets.finish() == std::vector<double>{1.5});
    for (size_t i = 0; i < tensors.size(); ++i)
      CHECK(
          at::equal(tensors[i].grad(), grads[i].defined() ? grads[i] : at::zeros_like(tensors[i])));
    return std::pair{buckets.started_in_backward(), buckets.bucket_count()};
  };
  // Every parameter of the model (our Linear, attention and GELU functions included) tells its
  // bucket when its gradient is in.
  const auto [overlapped, count] = step(params, true);
  CHECK(overlapped == count);
  CHECK(step(params, false).first == 0);
  // A parameter backward never reaches sits in the first bucket (they go from the last
  // parameter back), so no bucket may start before finish(): they start in order.
  auto unused = at::zeros({10}).requires_grad_();
  params.push_back(unused);
  CHECK(step(params, true).first == 0);
}

TEST_CASE("a run's all-reduce summary counts the steps whose every bucket started in backward") {
  mae::AllReduceTally tally;
  CHECK(tally.summary().empty());
  mae::StepMetrics single;  // a single process has no buckets: not counted
  tally.add(single);
  CHECK(tally.summary().empty());
  mae::StepMetrics m;
  m.allreduce_buckets = 2;
  m.buckets_started_in_backward = 2;
  m.allreduce_ms = 1.0;
  tally.add(m);
  m.buckets_started_in_backward = 1;  // the second bucket waited for finish()
  m.allreduce_ms = 2.0;
  tally.add(m);
  m.nonfinite = true;  // a skipped step ran no backward: not counted
  m.buckets_started_in_backward = 0;
  tally.add(m);
  CHECK(tally.summary() ==
        "all-reduce of 2 buckets a step: every bucket started during backward in 1 of 2 steps; "
        "1.5 ms a step waited after backward");
}

TEST_CASE("two Gloo ranks of batch 8 follow one rank of batch 16, and resume exactly") {
  REQUIRE_MESSAGE(std::filesystem::exists(mae::fashion_mnist_dir()),
                  "Fashion-MNIST is missing (scripts/setup.sh)");
  TempDir dir;
  const std::string one = dir.path("one"), two = dir.path("two"), half = dir.path("half");
  const std::string common = " --steps 20 --seed 3 --lr 2e-3 --dist-timeout 60";
  REQUIRE_MESSAGE(mae_train("--batch 16 --out " + one + common, dir.path("one.log")) == 0,
                  read_text(dir.path("one.log")));
  REQUIRE_MESSAGE(mae_train("--ranks 2 --batch 8 --out " + two + common, dir.path("two.log")) == 0,
                  read_text(dir.path("two.log")));
  const auto l1 = losses(one), l2 = losses(two);
  REQUIRE(l1.size() == 20);
  REQUIRE(l2.size() == 20);
  double worst_loss = 0.0;
  for (size_t i = 0; i < l1.size(); ++i) worst_loss = std::max(worst_loss, std::abs(l1[i] - l2[i]));
  const auto weights = weight_difference(one, two);
  MESSAGE("1 rank x 16 vs 2 ranks x 8 over 20 steps: max |loss diff| "
          << worst_loss << ", max |weight diff| " << weights.worst
          << " (attention key bias, whose exact gradient is 0: " << weights.worst_key_bias
          << "); loss " << l1.front() << " -> " << l1.back());
  CHECK(worst_loss < 1e-5);
  CHECK(weights.worst < 1e-5);
  CHECK(l1.back() < l1.front());
  // fmnist-tiny's gradients fit one bucket, whose all-reduce starts inside each step's backward.
  CHECK_MESSAGE(
      read_text(dir.path("two.log"))
              .find("all-reduce of 1 bucket a step: the bucket started during backward in "
                    "20 of 20 steps") != std::string::npos,
      read_text(dir.path("two.log")));

  // The same two-rank run paused after step 10 (--until) and resumed: bit for bit the same.
  REQUIRE(mae_train("--ranks 2 --batch 8 --out " + half + common + " --until 10",
                    dir.path("half1.log")) == 0);
  REQUIRE(losses(half).size() == 10);
  REQUIRE_MESSAGE(mae_train("--ranks 2 --resume --out " + half, dir.path("half2.log")) == 0,
                  read_text(dir.path("half2.log")));
  const auto resumed = weight_difference(two, half);
  MESSAGE("two ranks, 20 straight steps vs 10 + resume + 10: max |weight diff| "
          << std::max(resumed.worst, resumed.worst_key_bias));
  CHECK(resumed.worst == 0.0);
  CHECK(resumed.worst_key_bias == 0.0);
  CHECK(losses(half) == l2);
}

namespace {

// Starts a long two-rank run in the background and returns the launcher's pid; the ranks'
// pids are read from its first line.
pid_t start_long_run(const TempDir& dir, const std::string& extra,
                     const std::string& shape = "--batch 8") {
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    _exit(mae_train("--ranks 2 " + shape + " --steps 100000 --out " + dir.path("run") + extra,
                    dir.path("run.log")));
  }
  return pid;
}

// Whether the launcher has ended, without reaping it (wait_launcher does that).
bool launcher_ended(pid_t launcher) {
  siginfo_t info{};
  return waitid(P_PID, static_cast<id_t>(launcher), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == launcher;
}

// Ends the test at once when the run ended before what a wait was waiting for (a run that
// fails at its start would otherwise be waited for two minutes), with the run's log.
void require_running(pid_t launcher, const std::string& log, const std::string& waiting_for) {
  if (launcher_ended(launcher))
    FAIL("the run ended before " << waiting_for << ":\n" << read_text(log));
}

void wait_for_text(pid_t launcher, const std::string& log, const std::string& text) {
  for (int i = 0; i < 1200; ++i) {
    if (read_text(log).find(text) != std::string::npos) return;
    require_running(launcher, log, "its log said \"" + text + "\"");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  FAIL("the log never said \"" << text << "\"");
}

std::vector<pid_t> rank_pids(pid_t launcher, const std::string& log) {
  for (int i = 0; i < 600; ++i) {
    require_running(launcher, log, "it started its ranks");
    const std::string text = read_text(log);
    const size_t at = text.find("(pids ");
    if (at != std::string::npos && text.find("rendezvous", at) != std::string::npos) {
      std::vector<pid_t> pids;
      const char* p = text.c_str() + at + 6;
      while (*p >= '0' && *p <= '9') {
        pids.push_back(static_cast<pid_t>(std::strtol(p, const_cast<char**>(&p), 10)));
        while (*p == ',' || *p == ' ') ++p;
      }
      return pids;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return {};
}

void wait_for_steps(pid_t launcher, const std::string& log, const std::string& metrics, int steps) {
  for (int i = 0; i < 1200; ++i) {
    require_running(launcher, log, "step " + std::to_string(steps));
    std::ifstream in(metrics);
    int lines = 0;
    for (std::string line; std::getline(in, line);) ++lines;
    if (lines >= steps) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  FAIL("the run did not reach step " << steps);
}

// Waits for the launcher; returns its exit code and the seconds it took after `since`.
std::pair<int, double> wait_launcher(pid_t launcher, std::chrono::steady_clock::time_point since) {
  int status = 0;
  for (int i = 0; i < 1800; ++i) {
    if (waitpid(launcher, &status, WNOHANG) == launcher) {
      const double s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
      return {WIFEXITED(status) ? WEXITSTATUS(status) : 128, s};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(launcher, SIGKILL);
  waitpid(launcher, &status, 0);
  return {-1, 180.0};
}

}  // namespace

TEST_CASE("a killed rank ends the run with a message naming it") {
  REQUIRE_MESSAGE(std::filesystem::exists(mae::fashion_mnist_dir()),
                  "Fashion-MNIST is missing (scripts/setup.sh)");
  TempDir dir;
  const pid_t launcher = start_long_run(dir, " --dist-timeout 60");
  const auto pids = rank_pids(launcher, dir.path("run.log"));
  REQUIRE(pids.size() == 2);
  wait_for_steps(launcher, dir.path("run.log"), dir.path("run") + "/metrics.jsonl", 3);
  const auto killed_at = std::chrono::steady_clock::now();
  kill(pids[1], SIGKILL);
  const auto [code, seconds] = wait_launcher(launcher, killed_at);
  const std::string log = read_text(dir.path("run.log"));
  MESSAGE("rank 1 killed: the run ended in " << seconds << " s with code " << code);
  CHECK(code == 1);
  CHECK(seconds < 60.0);
  CHECK(log.find("rank 1 was killed by signal 9") != std::string::npos);
  CHECK(log.find("rank 0 of 2: the gradient all-reduce of step") != std::string::npos);
}

TEST_CASE("a hung rank ends the run within the timeout") {
  REQUIRE_MESSAGE(std::filesystem::exists(mae::fashion_mnist_dir()),
                  "Fashion-MNIST is missing (scripts/setup.sh)");
  TempDir dir;
  const pid_t launcher = start_long_run(dir, " --dist-timeout 8");
  const auto pids = rank_pids(launcher, dir.path("run.log"));
  REQUIRE(pids.size() == 2);
  wait_for_steps(launcher, dir.path("run.log"), dir.path("run") + "/metrics.jsonl", 3);
  const auto stopped_at = std::chrono::steady_clock::now();
  kill(pids[1], SIGSTOP);
  const auto [code, seconds] = wait_launcher(launcher, stopped_at);
  kill(pids[1], SIGKILL);  // in case the launcher did not
  const std::string log = read_text(dir.path("run.log"));
  MESSAGE("rank 1 stopped (SIGSTOP): the run ended in " << seconds << " s with code " << code);
  CHECK(code == 1);
  CHECK(seconds < 8.0 + 30.0 + 10.0);
  CHECK(log.find("did not answer within 8 s") != std::string::npos);
}

TEST_CASE("Ctrl+C seen by one rank stops every rank inside a long step, which is not taken") {
  // Steps of 4096 micro-batches of 2 take many seconds; the interrupted rank's wish to stop
  // reaches the other at the next micro-batch, not at the end of the step.
  REQUIRE_MESSAGE(std::filesystem::exists(mae::fashion_mnist_dir()),
                  "Fashion-MNIST is missing (scripts/setup.sh)");
  TempDir dir;
  const pid_t launcher = start_long_run(dir, " --dist-timeout 60", "--batch 2 --accum 4096");
  const auto pids = rank_pids(launcher, dir.path("run.log"));
  REQUIRE(pids.size() == 2);
  wait_for_text(launcher, dir.path("run.log"), " micro-batches done");
  const auto signalled_at = std::chrono::steady_clock::now();
  kill(pids[1], SIGINT);
  const auto [code, seconds] = wait_launcher(launcher, signalled_at);
  for (const pid_t pid : pids) kill(pid, SIGKILL);  // should the launcher have been killed
  const std::string log = read_text(dir.path("run.log"));
  MESSAGE("rank 1 interrupted inside step 1: the run ended in " << seconds << " s with code "
                                                                << code);
  CHECK(code == 0);
  CHECK_MESSAGE(log.find("interrupted at step 0;") != std::string::npos, log);
  CHECK(read_text(dir.path("run") + "/metrics.jsonl").empty());  // no step was completed
  CHECK(mae::read_checkpoint_info(dir.path("run") + "/last.safetensors").step == 0);
}
