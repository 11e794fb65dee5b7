// Why: `mae bench`: training and inference throughput of a preset on a device.
#include <algorithm>
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
  bool profile = false;
  bool no_cuda_graphs = false;
};

nlohmann::json op_table(const std::vector<OpTime>& ops, size_t rows) {
  auto out = nlohmann::json::array();
  for (size_t i = 0; i < std::min(rows, ops.size()); ++i)
    out.push_back({{"name", ops[i].name}, {"calls", ops[i].calls}, {"ms", ops[i].ms}});
  return out;
}

void print_op_table(const char* title, const std::vector<OpTime>& ops, double step_ms,
                    size_t rows) {
  if (ops.empty()) return;
  std::printf("  %s\n", title);
  for (size_t i = 0; i < std::min(rows, ops.size()); ++i)
    std::printf("    %8.2f ms %5.1f%% %6lld x  %s\n", ops[i].ms, 100.0 * ops[i].ms / step_ms,
                static_cast<long long>(ops[i].calls), ops[i].name.c_str());
}

constexpr size_t kProfileRows = 15;

void run(BenchArgs a) {
  const auto& preset = find_preset(a.preset);
  a.options.bf16 = !a.fp32;
  a.options.cuda_graphs = !a.no_cuda_graphs;
  a.options.profile = a.profile || !a.options.profile_trace.empty();
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
                        {"train_step_fastest_ms", r.train_step_fastest_ms},
                        {"infer_images_per_sec", r.infer_images_per_sec},
                        {"infer_batch_ms", r.infer_batch_ms},
                        {"slider_reconstruct_ms", r.slider_ms},
                        {"peak_memory_bytes", r.peak_memory_bytes},
                        {"memory_before_bytes", r.memory_before_bytes},
                        {"estimated_memory_bytes", r.estimated_memory_bytes},
                        {"cuda_graph", r.graph_note},
                        {"gpu_kernels", r.kernels_note}};
    if (a.options.profile)
      j["profile"] = {{"step_ms", r.profile.wall_ms},
                      {"host_self_ms", op_table(r.profile.host_ops, kProfileRows)},
                      {"device_ms", op_table(r.profile.device_kernels, kProfileRows)}};
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("%s on %s, %s, batch %lld\n", a.preset.c_str(), r.device_note.c_str(),
              bf16 ? "bf16" : "fp32", static_cast<long long>(a.options.batch));
  std::printf("  train  %8.1f img/s  %8.1f ms/step (median; fastest %.1f ms)\n",
              r.train_images_per_sec, r.train_step_ms, r.train_step_fastest_ms);
  if (!r.graph_note.empty()) std::printf("         %s\n", r.graph_note.c_str());
  if (!r.kernels_note.empty()) std::printf("         %s\n", r.kernels_note.c_str());
  std::printf("  infer  %8.1f img/s  %8.1f ms/batch\n", r.infer_images_per_sec, r.infer_batch_ms);
  std::printf("  one image at a new ratio (explorer slider)  %.1f ms\n", r.slider_ms);
  const auto mib = [](int64_t bytes) { return static_cast<double>(bytes) / (1 << 20); };
  std::printf("  peak memory %.1f MiB", mib(r.peak_memory_bytes));
  // On the CPU the peak is the process's, libraries included: the run's own share beside it.
  if (r.memory_before_bytes >= (1 << 20))
    std::printf(", %.1f MiB above the %.1f MiB in use before the model was made",
                mib(r.peak_memory_bytes - r.memory_before_bytes), mib(r.memory_before_bytes));
  std::printf(" (the memory guard estimated %.1f MiB for training)\n",
              mib(r.estimated_memory_bytes));
  if (!a.options.profile) return;
  std::printf("one profiled training step: %.1f ms\n", r.profile.wall_ms);
  print_op_table("host ops by self time", r.profile.host_ops, r.profile.wall_ms, kProfileRows);
  print_op_table("GPU kernels by time", r.profile.device_kernels, r.profile.wall_ms, kProfileRows);
  if (!a.options.profile_trace.empty())
    std::printf("Chrome trace: %s\n", a.options.profile_trace.c_str());
}
}  // namespace

void add_bench(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  auto* cmd = app.add_subcommand("bench", "training and inference images/s of a preset");
  cmd->add_option("--preset", args->preset, "preset name")->capture_default_str();
  cmd->add_option("--device", args->options.device, "auto (a GPU when there is one), cpu or cuda")
      ->capture_default_str();
  cmd->add_option("--batch", args->options.batch, "batch size")
      ->capture_default_str()
      ->check(kCount);
  cmd->add_option("--steps", args->options.steps, "timed steps")
      ->capture_default_str()
      ->check(kCount);
  cmd->add_option("--warmup", args->options.warmup_steps, "untimed steps")
      ->capture_default_str()
      ->check(kCountOrZero);
  cmd->add_flag("--fp32", args->fp32, "disable bf16 autocast on CUDA");
  cmd->add_flag("--cpu-bf16", args->options.cpu_bf16,
                "bf16 autocast on the CPU too (fast with AVX-512 BF16 or AMX)");
  cmd->add_flag("--json", args->json, "print JSON");
  cmd->add_flag("--no-cuda-graphs", args->no_cuda_graphs,
                "on a GPU, time eager training steps instead of a captured CUDA graph");
  cmd->add_flag("--profile", args->profile,
                "profile one more training step: host ops by self time, GPU kernels by time");
  cmd->add_option("--profile-trace", args->options.profile_trace,
                  "with --profile, save that step's Chrome trace (chrome://tracing, Perfetto)");
  cmd->callback([args] { run(*args); });
}

}  // namespace mae::cli
