// Why: `mae train`: a whole run from the terminal, with a progress line, metrics.jsonl,
// periodic and final checkpoints, resume, and Ctrl+C that saves before it exits.
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "io/checkpoint.h"
#include "model/presets.h"
#include "train/format_duration.h"
#include "train/trainer.h"

namespace mae::cli {

namespace {

volatile std::sig_atomic_t g_interrupted = 0;

struct TrainArgs {
  std::string data = "fashion-mnist";
  std::string preset = "fmnist-tiny";
  std::string out = "runs/latest";
  std::string device = "cpu";
  int64_t steps = 0;
  int64_t batch = 0;
  int64_t accum = 1;
  double lr = 0.0;
  double base_lr = 0.0;
  double mask_ratio = -1.0;
  std::string strategy = "random";
  bool norm_pix = false;
  bool resume = false;
  int64_t seed = 0;
  int64_t save_every = 0;
  int64_t workers = 2;
  int64_t log_every = 10;
  double crop_min = -1.0;
};

std::unique_ptr<Trainer> make_trainer(const TrainArgs& a, const std::string& last) {
  if (a.resume) {
    if (!std::filesystem::exists(last))
      throw std::runtime_error("--resume: no checkpoint at '" + last + "'");
    auto info = read_checkpoint(last).info;
    const std::string data = info.train ? info.train->data : a.data;
    auto dataset = open_dataset(data, info.model.in_chans);
    return Trainer::resume(last, dataset, a.steps);
  }
  const auto& preset = find_preset(a.preset);
  MaeConfig model = preset.model;
  model.norm_pix_loss = a.norm_pix;
  TrainConfig t;
  t.data = a.data;
  t.batch = a.batch > 0 ? a.batch : preset.recipe.batch;
  t.accum_steps = a.accum;
  t.total_steps = a.steps > 0 ? a.steps : preset.recipe.steps;
  t.base_lr = a.base_lr > 0 ? a.base_lr : preset.recipe.base_lr;
  t.lr = a.lr;
  t.warmup_steps = static_cast<int64_t>(preset.recipe.warmup_fraction * t.total_steps);
  t.mask_ratio = a.mask_ratio >= 0 ? a.mask_ratio : preset.recipe.mask_ratio;
  t.mask_strategy = parse_mask_strategy(a.strategy);
  t.crop_scale_min = a.crop_min > 0 ? a.crop_min : preset.recipe.crop_scale_min;
  t.seed = static_cast<uint64_t>(a.seed);
  t.device = a.device;
  t.loader_workers = a.workers;
  return std::make_unique<Trainer>(model, t, open_dataset(a.data, model.in_chans));
}

void run(const TrainArgs& a) {
  std::filesystem::create_directories(a.out);
  const std::string last = a.out + "/last.safetensors";
  auto trainer = make_trainer(a, last);
  const auto& t = trainer->train_config();
  std::fprintf(stderr,
               "training %s on %s: %lld steps, batch %lld x %lld, peak lr %.3g, device %s\n",
               trainer->model_config().preset.c_str(), t.data.c_str(),
               static_cast<long long>(t.total_steps), static_cast<long long>(t.batch),
               static_cast<long long>(t.accum_steps), t.peak_lr(), t.device.c_str());
  std::ofstream metrics(a.out + "/metrics.jsonl", a.resume ? std::ios::app : std::ios::trunc);
  if (!metrics) throw std::runtime_error("cannot write " + a.out + "/metrics.jsonl");
  std::signal(SIGINT, [](int) { g_interrupted = 1; });
  const int64_t first = trainer->current_step();
  double elapsed = 0.0;
  while (!trainer->done() && !g_interrupted) {
    auto m = trainer->step();
    elapsed += m.step_ms / 1000.0;
    metrics << nlohmann::json{{"step", m.step},
                              {"loss", m.nonfinite ? nlohmann::json() : nlohmann::json(m.loss)},
                              {"lr", m.lr},
                              {"images_per_sec", m.images_per_sec},
                              {"step_ms", m.step_ms},
                              {"memory_bytes", m.memory_bytes},
                              {"nonfinite", m.nonfinite},
                              {"skipped_files", m.skipped_files}}
                   .dump()
            << '\n';
    if (m.nonfinite)
      std::fprintf(stderr, "\nstep %lld: non-finite loss; step skipped, weights kept\n",
                   static_cast<long long>(m.step));
    if (m.step % a.log_every == 0 || trainer->done()) {
      const double per_step = elapsed / static_cast<double>(m.step - first);
      std::fprintf(stderr,
                   "\rstep %lld/%lld  loss %.4f  lr %.2e  %.0f img/s  %.0f ms/step  ETA %s   ",
                   static_cast<long long>(m.step), static_cast<long long>(t.total_steps),
                   trainer->last_good_loss(), m.lr, m.images_per_sec, m.step_ms,
                   format_duration(per_step * static_cast<double>(t.total_steps - m.step)).c_str());
      metrics.flush();
    }
    if (a.save_every > 0 && m.step % a.save_every == 0) trainer->save(last);
  }
  std::fprintf(stderr, "\n");
  trainer->save(last);
  std::fprintf(stderr, "%s at step %lld; saved %s\n", g_interrupted ? "interrupted" : "done",
               static_cast<long long>(trainer->current_step()), last.c_str());
}

}  // namespace

void add_train(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  auto* cmd =
      app.add_subcommand("train", "train an MAE (writes <out>/last.safetensors, metrics.jsonl)");
  cmd->add_option("--data", args->data, "folder, image, fashion-mnist or fashion-mnist:test")
      ->capture_default_str();
  cmd->add_option("--preset", args->preset, "fmnist-tiny, rgb-small, vit-b16, vit-l16, vit-h14")
      ->capture_default_str();
  cmd->add_option("--steps", args->steps, "optimizer steps (default: the preset's)");
  cmd->add_option("--out", args->out, "output folder")->capture_default_str();
  cmd->add_flag("--resume", args->resume, "continue the run saved in <out>/last.safetensors");
  cmd->add_option("--device", args->device, "cpu or cuda")->capture_default_str();
  cmd->add_option("--batch", args->batch, "images per micro-batch (default: the preset's)");
  cmd->add_option("--accum", args->accum, "micro-batches per optimizer step")
      ->capture_default_str();
  cmd->add_option("--lr", args->lr, "absolute peak learning rate (overrides --base-lr)");
  cmd->add_option("--base-lr", args->base_lr, "lr = base_lr * batch * accum / 256");
  cmd->add_option("--mask-ratio", args->mask_ratio, "fraction of patches removed (default 0.75)");
  cmd->add_option("--mask-strategy", args->strategy, "random, block or grid")
      ->capture_default_str();
  cmd->add_flag("--norm-pix", args->norm_pix, "per-patch normalized pixel targets");
  cmd->add_option("--crop-min", args->crop_min, "RandomResizedCrop minimum scale");
  cmd->add_option("--seed", args->seed, "seed for init, data order, crops and masks")
      ->capture_default_str();
  cmd->add_option("--save-every", args->save_every, "also save every N steps");
  cmd->add_option("--workers", args->workers, "data loader threads")->capture_default_str();
  cmd->add_option("--log-every", args->log_every, "progress line every N steps")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->callback([args] { run(*args); });
}

}  // namespace mae::cli
