// Why: `mae bench`: training and inference throughput of a preset on a device.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "model/presets.h"
#include "train/benchmark.h"

namespace mae::cli {

namespace {
struct BenchArgs {
  std::string preset = "fmnist-tiny";
  BenchOptions options;
  bool fp32 = false;
  bool json = false;
};

void run(BenchArgs a) {
  const auto& preset = find_preset(a.preset);
  a.options.bf16 = !a.fp32;
  auto r = run_benchmark(preset.model, a.options);
  const bool bf16 = r.device != "cpu" ? a.options.bf16 : a.options.cpu_bf16;
  if (a.json) {
    nlohmann::json j = {{"preset", a.preset},
                        {"device", r.device},
                        {"device_note", r.device_note},
                        {"precision", bf16 ? "bf16-autocast" : "fp32"},
                        {"batch", a.options.batch},
                        {"steps", a.options.steps},
                        {"threads", r.threads},
                        {"train_images_per_sec", r.train_images_per_sec},
                        {"train_step_ms", r.train_step_ms},
                        {"infer_images_per_sec", r.infer_images_per_sec},
                        {"infer_batch_ms", r.infer_batch_ms},
                        {"slider_reconstruct_ms", r.slider_ms},
                        {"peak_memory_bytes", r.peak_memory_bytes}};
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("%s on %s, %s, batch %lld\n", a.preset.c_str(), r.device_note.c_str(),
              bf16 ? "bf16" : "fp32", static_cast<long long>(a.options.batch));
  std::printf("  train  %8.1f img/s  %8.1f ms/step\n", r.train_images_per_sec, r.train_step_ms);
  std::printf("  infer  %8.1f img/s  %8.1f ms/batch\n", r.infer_images_per_sec, r.infer_batch_ms);
  std::printf("  one image at a new ratio (explorer slider)  %.1f ms\n", r.slider_ms);
  std::printf("  peak memory %.1f MiB\n", static_cast<double>(r.peak_memory_bytes) / (1 << 20));
}
}  // namespace

void add_bench(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  auto* cmd = app.add_subcommand("bench", "training and inference images/s of a preset");
  cmd->add_option("--preset", args->preset, "preset name")->capture_default_str();
  cmd->add_option("--device", args->options.device, "auto (a GPU when there is one), cpu or cuda")
      ->capture_default_str();
  cmd->add_option("--batch", args->options.batch, "batch size")->capture_default_str();
  cmd->add_option("--steps", args->options.steps, "timed steps")->capture_default_str();
  cmd->add_option("--warmup", args->options.warmup_steps, "untimed steps")->capture_default_str();
  cmd->add_flag("--fp32", args->fp32, "disable bf16 autocast on CUDA");
  cmd->add_flag("--cpu-bf16", args->options.cpu_bf16,
                "bf16 autocast on the CPU too (fast with AVX-512 BF16 or AMX)");
  cmd->add_flag("--json", args->json, "print JSON");
  cmd->callback([args] { run(*args); });
}

}  // namespace mae::cli
