// Why: checkpoints are where users' work lives: the round trip must be exact, a resumed run
// must continue the very same loss curve, and bad files must give clear errors.
#include <doctest/doctest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "io/checkpoint.h"
#include "io/model_files.h"
#include "io/safetensors.h"
#include "model/presets.h"
#include "small_configs.h"
#include "synthetic_dataset.h"
#include "test_support.h"
#include "train/device.h"
#include "train/trainer.h"
#include "train_steps.h"
#include "util/read_progress.h"
#include "util/run_id.h"

using namespace mae;

namespace {
MaeConfig small_model() { return small_test_model(); }
TrainConfig small_run(int64_t steps) { return small_test_run(steps, 11); }
}  // namespace

TEST_CASE("safetensors round trip keeps dtypes, shapes, values and metadata") {
  TempDir dir;
  NamedTensors tensors = {{"a", torch::randn({2, 3})},
                          {"b", torch::arange(5, torch::kLong)},
                          {"c", torch::randn({4}).to(torch::kBFloat16)},
                          {"empty", torch::zeros({0, 3})}};
  write_safetensors(dir.path("t.safetensors"), tensors, {{"k", "v"}});
  auto back = read_safetensors(dir.path("t.safetensors"));
  CHECK(back.metadata.at("k") == "v");
  for (const auto& [name, t] : tensors) {
    REQUIRE(back.find(name));
    CHECK(torch::equal(*back.find(name), t));
  }
  auto bytes = read_bytes(dir.path("t.safetensors"));
  CHECK((bytes[0] | (bytes[1] << 8)) % 8 == 0);  // header padded to 8 bytes
}

TEST_CASE("model checkpoint round trip is exact") {
  TempDir dir;
  auto model = make_model(small_model(), 3);
  save_checkpoint(dir.path("m.safetensors"), model, {}, nullptr, 42, 0.5);
  const auto file = read_model_file(dir.path("m.safetensors"));
  auto loaded = build_model(file, "cpu");
  CHECK(file.step == 42);
  CHECK(file.loss == 0.5);
  CHECK(file.config.to_json() == small_model().to_json());
  auto x = torch::randn({2, 1, 16, 16});
  auto noise = torch::rand({2, 16});
  model->eval();
  CHECK(torch::equal(model->forward(x, noise, 4).pred, loaded->forward(x, noise, 4).pred));
}

TEST_CASE("resume continues the same loss curve exactly (CPU)") {
  TempDir dir;
  auto data = std::make_shared<SyntheticDataset>(40, 1, 16);
  Trainer straight(small_model(), small_run(8), data);
  const auto expected = train_losses(straight);

  Trainer first(small_model(), small_run(8), data);
  auto got = train_losses(first, 3);
  first.save(dir.path("run.safetensors"));
  auto resumed = Trainer::resume(dir.path("run.safetensors"), data);
  CHECK(resumed->current_step() == 3);
  for (double loss : train_losses(*resumed)) got.push_back(loss);
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK_MESSAGE(got[i] == expected[i], "step " << i);
  // The resumed run is the same run: its identity goes on, in the checkpoint and each step.
  CHECK(first.run_id() != 0);
  CHECK(straight.run_id() != first.run_id());
  CHECK(read_checkpoint_info(dir.path("run.safetensors")).run == first.run_id());
  CHECK(resumed->run_id() == first.run_id());
  auto again = Trainer::resume(dir.path("run.safetensors"), data);
  for (const auto& m : train_steps(*again, 2)) CHECK(m.run == first.run_id());
  // On this machine's loader threads: the same steps, whoever builds the batches.
  CHECK(resumed->train_config().loader_workers == small_run(8).loader_workers);
  auto here = Trainer::resume(dir.path("run.safetensors"), data, 0, nullptr, {"cpu", 3});
  CHECK(here->train_config().loader_workers == 3);
  const auto tail = train_losses(*here);
  CHECK(std::equal(tail.begin(), tail.end(), expected.begin() + 3, expected.end()));
}

TEST_CASE("a run saved on a GPU goes on on the device of the machine that resumes it") {
  TempDir dir;
  auto data = std::make_shared<SyntheticDataset>(40, 1, 16);
  auto model = make_model(small_model(), 3);
  TrainConfig on_gpu = small_run(8);
  on_gpu.device = "cuda";
  save_checkpoint(dir.path("gpu.safetensors"), model, {}, &on_gpu, 3, 0.5);
  if (!cuda_available())  // the checkpoint's own device is not here
    CHECK_THROWS_WITH(Trainer::resume(dir.path("gpu.safetensors"), data),
                      doctest::Contains("no CUDA GPU is available"));
  auto here = Trainer::resume(dir.path("gpu.safetensors"), data, 0, nullptr, {"cpu"});
  CHECK(here->train_config().device == "cpu");
  CHECK(here->current_step() == 3);
  const auto losses = train_losses(*here);
  CHECK(losses.size() == 5);
  CHECK(std::all_of(losses.begin(), losses.end(), [](double l) { return std::isfinite(l); }));
}

TEST_CASE("a resumed run's bf16, graph and crop choices are the resuming machine's, unset: saved") {
  TempDir dir;
  auto data = std::make_shared<SyntheticDataset>(40, 1, 16);
  auto model = make_model(small_model(), 3);
  TrainConfig saved = small_run(8);
  saved.cpu_bf16 = true;
  saved.bf16 = false;
  saved.cuda_graphs = false;
  saved.crops_on_device = true;
  save_checkpoint(dir.path("run.safetensors"), model, {}, &saved, 3, 0.5);
  const auto as_saved = Trainer::resume(dir.path("run.safetensors"), data, 0, nullptr, {"cpu"});
  CHECK(as_saved->train_config().cpu_bf16);
  CHECK_FALSE(as_saved->train_config().bf16);
  CHECK_FALSE(as_saved->train_config().cuda_graphs);
  CHECK(as_saved->train_config().crops_on_device);
  ResumeHere here{"cpu"};
  here.cpu_bf16 = false;
  here.bf16 = true;
  here.cuda_graphs = true;
  here.crops_on_device = false;
  const auto changed = Trainer::resume(dir.path("run.safetensors"), data, 0, nullptr, here);
  CHECK_FALSE(changed->train_config().cpu_bf16);
  CHECK(changed->train_config().bf16);
  CHECK(changed->train_config().cuda_graphs);
  CHECK_FALSE(changed->train_config().crops_on_device);
  // As the app and a sweep go on: every choice of their config, the saved one's replaced.
  TrainConfig wanted = small_run(8);
  wanted.loader_workers = 3;
  const auto same =
      Trainer::resume(dir.path("run.safetensors"), data, 0, nullptr, resume_as(wanted));
  CHECK(same->train_config().loader_workers == 3);
  CHECK(same->train_config().cpu_bf16 == wanted.cpu_bf16);
  CHECK(same->train_config().bf16 == wanted.bf16);
  CHECK(same->train_config().cuda_graphs == wanted.cuda_graphs);
  CHECK(same->train_config().crops_on_device == wanted.crops_on_device);
  CHECK(same->current_step() == 3);
}

TEST_CASE("a run's identity is 16 hex digits, and a checkpoint's that is not is refused") {
  CHECK(run_id_text(0xabcULL) == "0000000000000abc");
  CHECK(parse_run_id(run_id_text(0x0123456789abcdefULL)) == 0x0123456789abcdefULL);
  for (const char* bad :
       {"", "abc", "0000000000000000", "0123456789abcdeg", "+123456789abcdef", "0123456789abcdef0"})
    CHECK_FALSE(parse_run_id(bad));
  TempDir dir;
  auto model = make_model(small_model(), 3);
  save_checkpoint(dir.path("m.safetensors"), model, {}, nullptr, 1, 0.1);
  CHECK(read_checkpoint_info(dir.path("m.safetensors")).run == 0);  // converted weights: none
  auto content = read_safetensors(dir.path("m.safetensors"));
  content.metadata["run"] = "not a run";
  CHECK_THROWS_WITH_AS(checkpoint_from_content(content, "m.safetensors"),
                       "'m.safetensors' has unreadable metadata: run 'not a run' is not 16 hex "
                       "digits",
                       CheckpointError);
}

TEST_CASE("bad checkpoints give CheckpointError with a reason") {
  TempDir dir;
  auto model = make_model(small_model(), 3);
  save_checkpoint(dir.path("good.safetensors"), model, {}, nullptr, 1, 0.1);
  auto bytes = read_bytes(dir.path("good.safetensors"));

  CHECK_THROWS_AS(read_checkpoint(dir.path("missing.safetensors")), CheckpointError);
  write_bytes(dir.path("empty.safetensors"), {});
  CHECK_THROWS_AS(read_checkpoint(dir.path("empty.safetensors")), CheckpointError);
  write_bytes(dir.path("trunc.safetensors"), {bytes.begin(), bytes.begin() + bytes.size() / 2});
  try {
    read_checkpoint(dir.path("trunc.safetensors"));
    FAIL("truncated checkpoint accepted");
  } catch (const CheckpointError& e) {
    CHECK(std::string(e.what()).find("truncated") != std::string::npos);
  }
  write_bytes(dir.path("header.safetensors"), {bytes.begin(), bytes.begin() + 20});
  CHECK_THROWS_AS(read_checkpoint(dir.path("header.safetensors")), CheckpointError);
  write_safetensors(dir.path("other.safetensors"), {{"x", torch::ones({2})}}, {});
  CHECK_THROWS_AS(read_checkpoint(dir.path("other.safetensors")), CheckpointError);

  auto other = small_model();
  other.embed_dim = 64;
  MaeModel mismatched(other);
  auto content = read_checkpoint(dir.path("good.safetensors")).content;
  try {
    load_weights(mismatched, content);
    FAIL("mismatched checkpoint accepted");
  } catch (const CheckpointError& e) {
    CHECK(std::string(e.what()).find("shape") != std::string::npos);
  }
  // A checkpoint without training state cannot be resumed.
  auto data = std::make_shared<SyntheticDataset>(8, 1, 16);
  CHECK_THROWS_AS(Trainer::resume(dir.path("good.safetensors"), data), CheckpointError);
}

TEST_CASE("reading a checkpoint counts bytes and tensors for a progress display") {
  TempDir dir;
  auto model = make_model(small_test_model(1), 0);
  save_checkpoint(dir.path("m.safetensors"), model, {}, nullptr, 1, 0.5);
  ReadProgress progress;
  set_thread_read_progress(&progress);
  const auto loaded = read_checkpoint(dir.path("m.safetensors"));
  set_thread_read_progress(nullptr);
  CHECK(progress.tensors == static_cast<int64_t>(loaded.content.tensors.size()));
  CHECK(progress.bytes > 0);
  CHECK(progress.bytes <=
        static_cast<int64_t>(std::filesystem::file_size(dir.path("m.safetensors"))));
}

TEST_CASE("opening weights reads a training checkpoint's weights, not its optimizer state") {
  TempDir dir;
  auto model = make_model(small_test_model(1), 0);
  NamedTensors optimizer;
  for (const auto& [name, tensor] : model_state(model)) {
    optimizer.emplace_back("optimizer." + name + ".exp_avg", torch::ones_like(tensor));
    optimizer.emplace_back("optimizer." + name + ".exp_avg_sq", torch::ones_like(tensor));
  }
  const auto path = dir.path("run.safetensors");
  save_checkpoint(path, model, optimizer, nullptr, 1, 0.5);
  ReadProgress progress;
  set_thread_read_progress(&progress);
  const auto file = read_model_file(path);
  set_thread_read_progress(nullptr);
  const auto state = model_state(model);
  CHECK(progress.tensors == static_cast<int64_t>(state.size()));
  CHECK(progress.bytes < static_cast<int64_t>(std::filesystem::file_size(path)) / 2);
  REQUIRE(file.tensors.size() == state.size());
  const SafetensorsContent read{file.tensors, {}};
  for (const auto& [name, tensor] : state) {
    INFO(name);
    REQUIRE(read.find(name));
    CHECK(torch::equal(*read.find(name), tensor));
  }
  // Resuming still reads all of it.
  CHECK(read_checkpoint(path).content.tensors.size() == state.size() + optimizer.size());
}
