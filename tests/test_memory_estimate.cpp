// Why: a batch the machine cannot hold must be refused before anything is allocated, with a
// batch that fits; and the estimate that decides it must stay near measured peaks, or it
// would refuse runs that fit (or let through ones the out-of-memory killer ends).
#include <doctest/doctest.h>

#include <fstream>
#include <stdexcept>
#include <string>

#include "model/presets.h"
#include "recipe/recipe.h"
#include "synthetic_dataset.h"
#include "train/device.h"
#include "train/memory_estimate.h"
#include "train/trainer.h"

using namespace mae;

namespace {
// MiB per image of a micro-batch between two batch sizes' peak resident memory, measured
// with `mae bench --preset P --batch B --device cpu --steps 1 --warmup 1` (2 cores, fp32
// unless `bf16`), as memory_estimate.cpp records.
double estimated_mib_per_image(const std::string& preset, bool bf16) {
  auto r = preset_recipe(preset);
  r.train.cpu_bf16 = bf16;
  return static_cast<double>(estimate_training_memory(r.model, r.train).per_image_bytes) /
         (1 << 20);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}
}  // namespace

TEST_CASE("the memory estimate per image stays within 20 % of measured peaks") {
  CHECK(estimated_mib_per_image("fmnist-tiny", false) == doctest::Approx(1.59).epsilon(0.2));
  CHECK(estimated_mib_per_image("rgb-small", false) == doctest::Approx(3.66).epsilon(0.2));
  CHECK(estimated_mib_per_image("vit-b16", false) == doctest::Approx(110).epsilon(0.2));
  CHECK(estimated_mib_per_image("vit-b16", true) == doctest::Approx(65).epsilon(0.2));
  // The fixed part: the weights with their gradients and AdamW's two moments, and the input
  // batches held beyond the micro-batch's own: on a GPU the step's and the next step's, with
  // ranks the step's, in one CPU process none (each micro-batch is loaded in its turn).
  auto r = preset_recipe("vit-b16");
  r.train.device = "cpu";
  r.train.batch = 128;
  r.train.accum_steps = 32;
  const auto memory = estimate_training_memory(r.model, r.train);
  CHECK(memory.state_bytes == static_cast<int64_t>(16 * r.model.parameter_count()));
  CHECK(memory.step_input_bytes == 0);
  const int64_t step_floats = int64_t{4096} * 3 * 224 * 224 * 4;
  r.train.ranks = 2;
  CHECK(estimate_training_memory(r.model, r.train).step_input_bytes == step_floats);
  r.train.ranks = 1;
  r.train.device = "cuda";
  CHECK(estimate_training_memory(r.model, r.train).step_input_bytes == 2 * step_floats);
}

TEST_CASE("a run that does not fit says what it needs and which batch would fit") {
  auto r = preset_recipe("vit-b16");
  r.train.device = "cpu";
  r.train.batch = 4096;
  const auto memory = estimate_training_memory(r.model, r.train);
  const int64_t free = int64_t{20} << 30;
  const int64_t fitting = largest_fitting_batch(memory, free);
  CHECK(fitting > 0);
  CHECK(memory.at_batch(fitting) <= free * 9 / 10);  // a tenth kept spare
  CHECK(memory.at_batch(fitting + 1) > free * 9 / 10);
  const auto problem = training_memory_problem(r.model, r.train, free);
  CHECK(contains(problem, "training vit-b16 at batch 4096 needs about "));
  CHECK(contains(problem, "GiB on cpu, and 20.0 GiB is free: batch " + std::to_string(fitting) +
                              " or less would fit"));
  // Accumulation keeps the recipe's images per step at the largest power of two that fits.
  CHECK(contains(problem, " keeps 4096 images per step"));
  r.train.batch = fitting;
  CHECK(training_memory_problem(r.model, r.train, free).empty());
  const auto fixed = estimate_training_memory(r.model, r.train).fixed_bytes();
  CHECK(contains(training_memory_problem(r.model, r.train, fixed), "not even one image fits"));
  CHECK(format_bytes(int64_t{310} << 20) == "310 MiB");
  CHECK(format_bytes(int64_t{3} << 39) == "1.5 TiB");
}

TEST_CASE("a recipe's batch that does not fit is split into micro-batches of the same step") {
  auto r = preset_recipe("vit-b16");
  r.train.device = "cpu";
  const int64_t free = int64_t{20} << 30;
  const auto split = fit_micro_batch(r.model, r.train, free);
  CHECK(split.batch * split.accum_steps == 4096);  // the same images per step, so the same lr
  CHECK(split.batch == 128);  // the largest power of two under what fits at 20 GiB
  CHECK(training_memory_problem(r.model, split, free).empty());
  CHECK(split.peak_lr() == r.train.peak_lr());
  // A run that fits is left as it is; one that fits nowhere too, for the guard to refuse.
  r.train.batch = 16;
  CHECK(fit_micro_batch(r.model, r.train, free).batch == 16);
  r.train.batch = 4096;
  const auto none = fit_micro_batch(r.model, r.train, int64_t{1} << 30);
  CHECK(none.batch == 4096);
  CHECK(none.accum_steps == 1);
}

TEST_CASE("the trainer refuses a batch the machine cannot hold, before allocating it") {
  auto r = preset_recipe("vit-h14");
  r.train.device = "cpu";
  r.train.batch = 1 << 16;  // petabytes
  auto data = std::make_shared<SyntheticDataset>(3, 3, 224);
  try {
    Trainer trainer(r.model, r.train, data);
    FAIL("a batch of 65536 ViT-H/14 images was accepted");
  } catch (const std::runtime_error& e) {
    CHECK(contains(e.what(), "training vit-h14 at batch 65536 needs about "));
  }
  // What the machine has free is read from the kernel, at most what it has.
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  int64_t total_kib = 0;
  meminfo >> key >> total_kib;
  REQUIRE(key == "MemTotal:");
  CHECK(memory_available("cpu") > 0);
  CHECK(memory_available("cpu") <= total_kib * 1024);
  // CPU ranks on one host share it; each GPU rank has its own device.
  const auto whole = static_cast<double>(memory_available("cpu"));
  CHECK(static_cast<double>(memory_for_one_rank("cpu", 4)) ==
        doctest::Approx(whole / 4).epsilon(0.1));
  CHECK(memory_for_one_rank("cpu", 0) > 0);
}
