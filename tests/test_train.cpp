// Why: the training loop's promises: the loss really falls on Fashion-MNIST, the schedule
// and parameter groups are the authors', a NaN never kills the run, run control works.
#include <ATen/CPUGeneratorImpl.h>
#include <doctest/doctest.h>
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <numeric>
#include <thread>

#include "data/image_io.h"
#include "model/cpu_products.h"
#include "model/presets.h"
#include "small_configs.h"
#include "synthetic_dataset.h"
#include "test_support.h"
#include "train/data_wait_watch.h"
#include "train/device.h"
#include "train/optimizer.h"
#include "train/run_control.h"
#include "train/step_profile.h"
#include "train/trainer.h"
#include "train_steps.h"
#include "weight_difference.h"

using namespace mae;

namespace {
MaeConfig small_model() { return small_test_model(); }
TrainConfig small_run(int64_t steps) {
  auto t = small_test_run(steps, 7);
  t.loader_workers = 1;
  return t;
}
}  // namespace

TEST_CASE("lr schedule: linear warmup then half-cycle cosine to min_lr") {
  TrainConfig t;
  t.base_lr = 1.5e-4;
  t.batch = 4096;
  t.warmup_steps = 10;
  t.total_steps = 110;
  CHECK(t.peak_lr() == doctest::Approx(2.4e-3));
  CHECK(learning_rate_at(t, 0) == 0.0);
  CHECK(learning_rate_at(t, 5) == doctest::Approx(1.2e-3));
  CHECK(learning_rate_at(t, 10) == doctest::Approx(2.4e-3));
  CHECK(learning_rate_at(t, 60) == doctest::Approx(1.2e-3));
  CHECK(learning_rate_at(t, 110) == doctest::Approx(0.0));
  t.accum_steps = 2;
  t.batch = 2048;
  CHECK(t.peak_lr() == doctest::Approx(2.4e-3));
}

TEST_CASE("device auto: the GPU when there is one, else the CPU, and said so") {
  CHECK(mae::resolve_device("auto") == (mae::cuda_available() ? "cuda" : "cpu"));
  CHECK(mae::resolve_device("cpu") == "cpu");
  CHECK_THROWS_AS(mae::resolve_device("tpu"), std::invalid_argument);
  CHECK(mae::describe_device("cpu").rfind("cpu (", 0) == 0);
  CHECK(mae::describe_device("cpu").find(" threads") != std::string::npos);
  CHECK((mae::describe_device("cpu").find("products by oneDNN") != std::string::npos) ==
        (mae::cpu_gemm() == mae::CpuGemm::OneDnn));
}

TEST_CASE("a profiled step lists its ops by self time, which add up to no more than the step") {
  auto a = at::rand({256, 256});
  const auto step = [&] { at::relu(at::mm(a, a)).sum(); };
  const auto p = profile_one_step(step, false, "");
  REQUIRE(!p.host_ops.empty());
  CHECK(p.device_kernels.empty());
  const auto mm = std::find_if(p.host_ops.begin(), p.host_ops.end(),
                               [](const OpTime& t) { return t.name == "aten::mm"; });
  REQUIRE(mm != p.host_ops.end());
  CHECK(mm->calls == 1);
  double total = 0.0;
  for (const auto& t : p.host_ops) {
    CHECK(t.ms >= 0.0);
    total += t.ms;
  }
  CHECK(total <= p.wall_ms * 1.01);
  CHECK(std::is_sorted(p.host_ops.begin(), p.host_ops.end(),
                       [](const OpTime& x, const OpTime& y) { return x.ms > y.ms; }));
  // aten::matmul's own time excludes the aten::mm inside it.
  const auto matmul = std::find_if(p.host_ops.begin(), p.host_ops.end(),
                                   [](const OpTime& t) { return t.name == "aten::matmul"; });
  if (matmul != p.host_ops.end()) CHECK(matmul->ms < mm->ms);
}

TEST_CASE("AdamW groups: no weight decay on biases and 1-D parameters") {
  auto model = make_model(small_model(), 0);
  for (const auto& p : trainable_parameters(model)) {
    const bool expect_decay = p.tensor.dim() > 1 && p.name.find(".bias") == std::string::npos;
    CHECK_MESSAGE(p.decay == expect_decay, p.name);
  }
  TrainConfig t;
  const auto params = trainable_parameters(model);
  auto opt = make_optimizer(params, t);
  const auto& groups = opt->groups();
  REQUIRE(groups.size() == 2);
  CHECK(groups[0].weight_decay == 0.0);
  CHECK(groups[1].weight_decay == 0.05);
  CHECK(groups[0].params.size() + groups[1].params.size() == params.size());
  for (const auto& p : params) {
    const auto& mine = groups[p.decay ? 1 : 0].params;
    CHECK_MESSAGE(std::any_of(mine.begin(), mine.end(),
                              [&](const at::Tensor& t) { return t.is_same(p.tensor); }),
                  p.name);
  }
}

TEST_CASE("the fused AdamW step equals torch::optim::AdamW's, and a flagged step changes nothing") {
  // Same parameters, same gradients, three steps at different learning rates with a skipped
  // one in the middle; both groups, as the trainer sets them.
  bool device_lr = false;
  SUBCASE("the learning rate as a number") {}
  SUBCASE("the learning rate read from a scalar tensor, as a CUDA graph replays it") {
    device_lr = true;
  }
  auto model = make_model(small_model(), 0);
  const auto params = trainable_parameters(model);
  TrainConfig t;
  t.beta2 = 0.95;
  auto fused = make_optimizer(params, t);
  if (device_lr) fused->use_device_lr();
  std::vector<at::Tensor> decay, no_decay;
  for (const auto& p : params) {
    auto copy = p.tensor.detach().clone().requires_grad_(true);
    (p.decay ? decay : no_decay).push_back(copy);
  }
  auto options = torch::optim::AdamWOptions(1e-3).betas({t.beta1, t.beta2}).eps(1e-8);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(
                                    torch::optim::AdamWOptions(options).weight_decay(0.0)));
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(
                                 torch::optim::AdamWOptions(options).weight_decay(t.weight_decay)));
  torch::optim::AdamW reference(std::move(groups), options);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(11);
  const std::vector<double> lrs = {1e-3, 5e-4, 2e-3};
  for (size_t k = 0; k < lrs.size(); ++k) {
    const bool skip = k == 1;
    size_t di = 0, ni = 0;
    for (const auto& p : params) {
      auto grad = at::randn(p.tensor.sizes(), gen);
      p.tensor.mutable_grad() = grad.clone();
      (p.decay ? decay[di++] : no_decay[ni++]).mutable_grad() = grad.clone();
    }
    fused->set_lr(lrs[k]);
    fused->step(at::full({}, skip ? 1.0f : 0.0f));
    fused->zero_grad();
    if (!skip) {
      for (auto& group : reference.param_groups())
        static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lrs[k]);
      reference.step();
    }
  }
  double worst = 0.0;
  size_t di = 0, ni = 0;
  for (const auto& p : params) {
    const auto& mine = p.decay ? decay[di++] : no_decay[ni++];
    worst = std::max(worst, (p.tensor - mine).abs().max().item<double>());
    const auto* state = fused->state_of(p.tensor);
    REQUIRE(state);
    CHECK(state->step.item<float>() == 2.0f);  // the flagged step is not counted
  }
  MESSAGE("largest difference from torch::optim::AdamW after 2 steps and a skip: " << worst);
  CHECK(worst < 1e-6);
}

TEST_CASE("a short Fashion-MNIST run lowers the loss clearly") {
  REQUIRE_MESSAGE(std::filesystem::exists(fashion_mnist_dir()),
                  "Fashion-MNIST is not installed (the test command installs it)");
  const auto& preset = find_preset("fmnist-tiny");
  TrainConfig t;
  t.data = "fashion-mnist";
  t.batch = 64;
  t.total_steps = 80;
  t.lr = 2e-3;
  t.warmup_steps = 5;
  t.crop_scale_min = preset.recipe.crop_scale_min;
  Trainer trainer(preset.model, t, open_dataset("fashion-mnist", 1));
  const auto losses = train_losses(trainer);
  auto mean = [](auto b, auto e) { return std::accumulate(b, e, 0.0) / std::distance(b, e); };
  const double first = mean(losses.begin(), losses.begin() + 5);
  const double last = mean(losses.end() - 5, losses.end());
  MESSAGE("loss first 5 steps " << first << ", last 5 steps " << last);
  CHECK(last < 0.6 * first);
}

TEST_CASE("every step's metrics come back once and in order, a save midway included") {
  TempDir dir;
  auto data = std::make_shared<SyntheticDataset>(32, 1, 16);
  Trainer trainer(small_model(), small_run(6), data);
  std::vector<int64_t> seen;
  for (int i = 0; i < 3; ++i)
    for (const auto& m : trainer.step()) seen.push_back(m.step);
  trainer.save(dir.path("mid.safetensors"));  // waits for the step in flight, loses nothing
  CHECK(trainer.current_step() == 3);
  while (!trainer.done())
    for (const auto& m : trainer.step()) seen.push_back(m.step);
  for (const auto& m : trainer.drain()) seen.push_back(m.step);
  CHECK(trainer.drain().empty());
  CHECK(seen == std::vector<int64_t>{1, 2, 3, 4, 5, 6});
  // On the CPU the loss is known when the step is: each call hands back its own step.
  Trainer again(small_model(), small_run(2), data);
  const auto first = again.step();
  REQUIRE(first.size() == 1);
  CHECK(first.front().step == 1);
  CHECK(first.front().step_ms > 0.0);
}

TEST_CASE("each step says how long it waited for the loader's batches") {
  Trainer trainer(small_model(), small_run(4), std::make_shared<SlowSyntheticDataset>(32, 1, 16));
  std::vector<StepMetrics> steps;
  while (!trainer.done())
    for (const auto& m : trainer.step()) {
      CHECK(m.data_wait_ms >= 0.0);
      CHECK(m.data_wait_ms <= m.step_ms);
      steps.push_back(m);
    }
  REQUIRE(steps.size() == 4);
  // The loader starts with the first step, which waits for its whole batch: 8 pictures of 30 ms
  // on one loader thread. (How much the later steps wait depends on how fast the model's step
  // runs beside other work: on a loaded machine the loader keeps up.)
  CHECK(steps.front().data_wait_ms > 0.5 * 8 * 30);
}

TEST_CASE("the data wait is a share of the last steps, said once when it holds") {
  DataWaitWatch watch;
  for (int i = 0; i < DataWaitWatch::kWarmupSteps; ++i) watch.add(90, 100);  // not counted
  CHECK(watch.share() == 0.0);
  for (int i = 0; i < DataWaitWatch::kSteps - 1; ++i) {
    watch.add(30, 100);
    CHECK_FALSE(watch.warn_now());  // too few steps yet
  }
  watch.add(30, 100);
  CHECK(watch.share() == doctest::Approx(0.3));
  CHECK(watch.warn_now());
  CHECK_FALSE(watch.warn_now());  // once
  for (int i = 0; i < DataWaitWatch::kSteps; ++i) watch.add(0, 100);
  CHECK(watch.share() == 0.0);  // the window forgets
  DataWaitWatch fed;
  for (int i = 0; i < 100; ++i) fed.add(10, 100);
  CHECK_FALSE(fed.warn_now());  // 10 %: the loader keeps up
}

TEST_CASE("a step that cannot be captured says why and leaves no gradient behind") {
  const auto config = small_model();
  auto model = make_model(config, 0);
  const auto params = trainable_parameters(model);
  auto optimizer = make_optimizer(params, small_run(1));
  // Gradients as a capture that failed midway would leave them.
  for (const auto& p : params) p.tensor.mutable_grad() = torch::ones_like(p.tensor);
  const auto body = [](const StepInputs&) { return StepOutputs{}; };
  const StepInputs example{{torch::rand({2, config.in_chans, config.img_h, config.img_w})},
                           {torch::rand({2, config.num_patches()})}};
  std::string failure;
  CHECK(try_capture(body, example, *optimizer, &failure) == nullptr);
  // Nothing on the CPU can be captured; the reason says so.
  CHECK(failure.find("CUDA") != std::string::npos);
  MESSAGE("capture on the CPU: " << failure);
  for (const auto& p : params) CHECK(!p.tensor.grad().defined());
}

TEST_CASE("a non-finite loss skips the step and keeps the weights") {
  auto data = std::make_shared<SyntheticDataset>(16, 1, 16, /*nan=*/true);
  Trainer trainer(small_model(), small_run(5), data);
  auto before = trainer.model()->blocks->parameters()[0].clone();
  const auto steps = train_steps(trainer, 1);
  REQUIRE(steps.size() == 1);
  const auto& m = steps.front();
  CHECK(m.nonfinite);
  CHECK(std::isnan(m.loss));
  CHECK(torch::equal(before, trainer.model()->blocks->parameters()[0]));
  CHECK(trainer.nonfinite_steps() == 1);

  // In the background runner, repeated NaNs pause the run instead of ending the process.
  TrainingRun run(std::make_unique<Trainer>(small_model(), small_run(100), data), {});
  run.start();
  for (int i = 0; i < 600 && run.state() != RunState::Paused; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(run.state() == RunState::Paused);
}

TEST_CASE("run control: pause, save while paused, resume, stop") {
  TempDir dir;
  auto data = std::make_shared<SyntheticDataset>(32, 1, 16);
  std::atomic<int64_t> steps{0};
  RunCallbacks callbacks;
  callbacks.on_step = [&](const StepMetrics& m) { steps = m.step; };
  TrainingRun run(std::make_unique<Trainer>(small_model(), small_run(100000), data), callbacks);
  CHECK(run.state() == RunState::Ready);
  run.start();
  for (int i = 0; i < 6000 && steps < 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  REQUIRE(steps >= 3);
  run.request_pause();
  for (int i = 0; i < 500 && run.state() != RunState::Paused; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(run.state() == RunState::Paused);
  const int64_t paused_at = steps;
  run.request_save(dir.path("paused.safetensors"));
  for (int i = 0; i < 500 && !std::filesystem::exists(dir.path("paused.safetensors")); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(std::filesystem::exists(dir.path("paused.safetensors")));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(steps == paused_at);
  CHECK(run.state() == RunState::Paused);
  run.request_resume();
  for (int i = 0; i < 6000 && steps < paused_at + 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(steps >= paused_at + 2);
  run.request_stop();
  run.wait();
  CHECK(run.state() == RunState::Stopped);
}

TEST_CASE("a step abandoned between micro-batches is taken again whole: the run ends the same") {
  auto data = std::make_shared<SyntheticDataset>(32, 1, 16);
  auto run = small_run(3);
  run.batch = 4;
  run.accum_steps = 4;
  Trainer straight(small_model(), run, data);
  train_steps(straight);

  Trainer interrupted(small_model(), run, data);
  std::vector<int64_t> seen_done;  // micro_batches_done() as each call sees it
  bool abandon_once = true;
  interrupted.set_between_micro_batches([&] {
    seen_done.push_back(interrupted.micro_batches_done());
    if (interrupted.current_step() == 1 && seen_done.back() == 2 && abandon_once) {
      abandon_once = false;
      return false;
    }
    // A pause inside the last step: not part of its time.
    if (interrupted.current_step() == 2 && seen_done.back() == 1)
      std::this_thread::sleep_for(std::chrono::seconds(2));
    return true;
  });
  CHECK(interrupted.step().size() == 1);
  CHECK(interrupted.step().empty());  // abandoned after 2 of its 4 micro-batches
  CHECK(interrupted.current_step() == 1);
  CHECK(interrupted.micro_batches_done() == 0);
  const auto second = interrupted.step();  // taken again whole
  REQUIRE(second.size() == 1);
  CHECK(second.front().step == 2);
  const auto third_started = std::chrono::steady_clock::now();
  const auto third = interrupted.step();  // with its 2 s pause
  const double third_wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - third_started)
          .count();
  REQUIRE(third.size() == 1);
  CHECK(interrupted.done());
  // The step's time is its work without the pause, however slow the machine's hour.
  CHECK(third_wall_ms >= 2000.0);
  CHECK(third.front().step_ms < third_wall_ms - 1900.0);
  // After each micro-batch but a step's last: 3 + 2 (abandoned) + 3 + 3.
  CHECK(seen_done == std::vector<int64_t>{1, 2, 3, 1, 2, 1, 2, 3, 1, 2, 3});
  const auto a = straight.model()->parameters();
  const auto b = interrupted.model()->parameters();
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(torch::equal(a[i], b[i]));
  CHECK(straight.last_good_loss() == interrupted.last_good_loss());
}

namespace {
// Image 0 cannot be read, as a corrupt photo in a folder: the loader skips it at each draw.
class FirstImageUnreadable : public SyntheticDataset {
 public:
  using SyntheticDataset::SyntheticDataset;
  mae::DecodedImage load_pixels(int64_t index) const override {
    if (index == 0) throw mae::ImageError("image 0: unreadable");
    return SyntheticDataset::load_pixels(index);
  }
};
}  // namespace

TEST_CASE("files skipped by the part of a step that was abandoned still count") {
  // 8 images and steps of 4 x 4: every two micro-batches are an epoch, each drawing image 0
  // once. Before the stop, 6 micro-batches were drawn (3 skips); steps 2 and 3 then draw 8
  // more (4 skips). The loader builds at most 4 micro-batches ahead, so counting only the
  // loader started after the stop gives at most 4 + 2.
  auto data = std::make_shared<FirstImageUnreadable>(8, 1, 16);
  auto run = small_run(3);
  run.batch = 4;
  run.accum_steps = 4;
  Trainer trainer(small_model(), run, data);
  trainer.set_between_micro_batches(
      [&] { return !(trainer.current_step() == 1 && trainer.micro_batches_done() == 2); });
  const auto first = train_steps(trainer, 1);
  REQUIRE(first.size() == 1);
  CHECK(first.front().skipped_files >= 2);
  CHECK(trainer.step().empty());  // abandoned after 2 of its 4 micro-batches
  trainer.set_between_micro_batches([] { return true; });
  const auto rest = train_steps(trainer);
  REQUIRE(rest.size() == 2);
  CHECK(rest.front().skipped_files >= first.front().skipped_files);
  CHECK(rest.back().skipped_files >= 7);
}

TEST_CASE(
    "a step's own time, which a thread tuner compares, leaves out waits between micro-batches") {
  auto data = std::make_shared<SyntheticDataset>(16, 1, 16);
  auto run = small_run(3);
  run.batch = 2;
  run.accum_steps = 2;
  Trainer trainer(small_model(), run, data);
  CHECK(trainer.last_call_ms() == -1);  // no step yet
  // A pause (or a save) in the middle of the step: the threads did not take that long.
  trainer.set_between_micro_batches([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    return true;
  });
  const auto began = std::chrono::steady_clock::now();
  trainer.step();
  const double wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - began).count();
  CHECK(wall_ms >= 400);
  CHECK(trainer.last_call_ms() > 0);
  CHECK(trainer.last_call_ms() <= wall_ms - 400 + 1);
  trainer.set_between_micro_batches([] { return false; });
  CHECK(trainer.step().empty());        // abandoned
  CHECK(trainer.last_call_ms() == -1);  // nothing to compare
}

TEST_CASE(
    "inside a step of many micro-batches, pause waits there, a save writes the step before, "
    "and stop abandons the step") {
  TempDir dir;
  auto data = std::make_shared<SyntheticDataset>(32, 1, 16);
  auto config = small_run(100000);
  config.batch = 2;
  config.accum_steps = 512;  // a second or more per step on this CPU
  std::atomic<int64_t> steps{0};
  RunCallbacks callbacks;
  callbacks.on_step = [&](const StepMetrics& m) { steps = m.step; };
  TrainingRun run(std::make_unique<Trainer>(small_model(), config, data), callbacks);
  run.start();
  // Generous: a 2-core machine busy with other tests runs these small steps many times slower.
  const auto wait_for = [](auto done) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(3);
    while (!done() && std::chrono::steady_clock::now() < give_up)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return done();
  };
  REQUIRE(wait_for([&] { return run.micro_batches_done() > 0; }));
  run.request_pause();
  REQUIRE(wait_for([&] { return run.state() == RunState::Paused; }));
  CHECK(steps == 0);  // paused inside the first step, not after it
  const int64_t done_when_paused = run.micro_batches_done();
  CHECK(done_when_paused > 0);
  run.request_save(dir.path("inside.safetensors"));
  REQUIRE(wait_for([&] { return run.saved_step() >= 0; }));
  CHECK(run.saved_step() == 0);
  CHECK(run.state() == RunState::Paused);
  CHECK(run.micro_batches_done() == done_when_paused);  // the step waits where it was
  run.request_resume();
  REQUIRE(wait_for([&] { return run.micro_batches_done() > done_when_paused; }));
  run.request_stop();
  run.wait();
  CHECK(run.state() == RunState::Stopped);
  CHECK(run.micro_batches_done() == 0);
  CHECK(steps == 0);  // the step under way was abandoned, not finished
  CHECK(run.unsaved_steps() == 0);
}

TEST_CASE("each step runs on the intra-op threads the run's callback asks for, 0 keeping them") {
  auto data = std::make_shared<SyntheticDataset>(32, 1, 16);
  const std::vector<int> asked = {1, 0, 3, 0};
  size_t calls = 0;
  std::vector<int> used;  // on the trainer thread, after each step
  RunCallbacks callbacks;
  std::vector<double> told_ms;
  callbacks.threads_for_next_step = [&](double last_step_ms) {
    told_ms.push_back(last_step_ms);
    return asked[std::min(calls++, asked.size() - 1)];
  };
  callbacks.on_step = [&](const StepMetrics&) { used.push_back(at::get_num_threads()); };
  TrainingRun run(std::make_unique<Trainer>(small_model(), small_run(4), data), callbacks);
  run.start();
  run.wait();
  REQUIRE(run.state() == RunState::Finished);
  CHECK(calls == 4);
  CHECK(used == std::vector<int>{1, 1, 3, 3});
  // Each is told how long the step before took: none before the first.
  REQUIRE(told_ms.size() == 4);
  CHECK(told_ms[0] < 0);
  for (size_t i = 1; i < told_ms.size(); ++i) CHECK(told_ms[i] > 0);
}

TEST_CASE("a run that reaches its step count finishes, and can still be saved afterwards") {
  TempDir dir;
  auto data = std::make_shared<SyntheticDataset>(32, 1, 16);
  auto run = std::make_unique<TrainingRun>(
      std::make_unique<Trainer>(small_model(), small_run(3), data), RunCallbacks{});
  run->start();
  run->wait();
  CHECK(run->state() == RunState::Finished);
  CHECK(run->saved_step() == -1);
  run->request_save(dir.path("after.safetensors"));
  for (int i = 0; i < 500 && run->saved_step() < 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(run->saved_step() == 3);
  CHECK(std::filesystem::exists(dir.path("after.safetensors")));
  // A save requested just before the run is destroyed ("save and quit") is still written.
  run->request_save(dir.path("at-exit.safetensors"));
  run.reset();
  CHECK(std::filesystem::exists(dir.path("at-exit.safetensors")));
}

TEST_CASE("unsaved steps count from the last save, and a resumed run starts with none") {
  TempDir dir;
  auto data = std::make_shared<SyntheticDataset>(32, 1, 16);
  TrainingRun run(std::make_unique<Trainer>(small_model(), small_run(3), data), RunCallbacks{});
  CHECK(run.unsaved_steps() == 0);
  run.start();
  run.wait();
  CHECK(run.unsaved_steps() == 3);
  run.request_save(dir.path("run.safetensors"));
  for (int i = 0; i < 500 && run.saved_step() < 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(run.unsaved_steps() == 0);

  TrainingRun resumed(Trainer::resume(dir.path("run.safetensors"), data, 5), RunCallbacks{});
  CHECK(resumed.unsaved_steps() == 0);
  resumed.start();
  resumed.wait();
  CHECK(resumed.unsaved_steps() == 2);
}

TEST_CASE("accumulating micro-batches takes the same step as one batch of their images") {
  // What lets a recipe's batch that does not fit train as micro-batches "the same step".
  auto data = std::make_shared<SyntheticDataset>(64, 1, 16);
  auto whole = small_run(3);
  whole.batch = 8;
  auto split = whole;
  split.batch = 2;
  split.accum_steps = 4;
  Trainer one(small_model(), whole, data), four(small_model(), split, data);
  const auto a = train_losses(one), b = train_losses(four);
  REQUIRE(a.size() == 3);
  REQUIRE(b.size() == 3);
  for (size_t i = 0; i < a.size(); ++i) CHECK(a[i] == doctest::Approx(b[i]).epsilon(1e-5));
  WeightDifference weights;
  const auto pb = four.model()->named_parameters();
  for (const auto& p : one.model()->named_parameters())
    weights.add(p.key(), p.value(), pb[p.key()]);
  MESSAGE("1 x 8 against 4 x 2 over 3 steps: max |weight diff| "
          << weights.worst << " (attention key bias: " << weights.worst_key_bias << ")");
  CHECK(weights.worst < 1e-5);
}
