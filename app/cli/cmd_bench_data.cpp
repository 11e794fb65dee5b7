// Why: `mae bench-data`: whether the data pipeline can feed a preset, in images/s: the cold
// first pass, the warm loader, and a second run from the cache file, with memory figures.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "train/data_benchmark.h"

namespace mae::cli {

namespace {

struct BenchDataArgs {
  DataBenchOptions options;
  bool json = false;
};

void run(const BenchDataArgs& a) {
  const auto r = run_data_benchmark(a.options);
  const double mib = 1 << 20;
  if (a.json) {
    nlohmann::json j = {{"data", a.options.data},
                        {"preset", a.options.preset},
                        {"files", r.files},
                        {"unreadable", r.unreadable},
                        {"batch", r.batch},
                        {"workers", r.workers},
                        {"device", r.device},
                        {"out_size", r.out_size},
                        {"short_side_cap", r.short_side_cap},
                        {"index_seconds", r.index_seconds},
                        {"first_pass_seconds", r.first_pass_seconds},
                        {"cold_images_per_sec", r.first_pass_images_per_sec},
                        {"warm_images_per_sec", r.warm_images_per_sec},
                        {"reopen_seconds", r.reopen_seconds},
                        {"second_run_images_per_sec", r.reopened_images_per_sec},
                        {"cache_memory_bytes", r.cache_memory_bytes},
                        {"cache_file_bytes", r.cache_file_bytes},
                        {"peak_rss_bytes", r.peak_rss_bytes}};
    if (a.options.crops_on_device) {
      j["crops_on_device"] = {{"packed_images_per_sec", r.packed_images_per_sec},
                              {"packed_bytes_per_image", r.packed_bytes_per_image},
                              {"device_images_per_sec", r.device_images_per_sec}};
    }
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("%s for %s (%lld px, batch %lld, %lld workers): %lld files, %lld unreadable\n",
              a.options.data.c_str(), a.options.preset.c_str(), static_cast<long long>(r.out_size),
              static_cast<long long>(r.batch), static_cast<long long>(r.workers),
              static_cast<long long>(r.files), static_cast<long long>(r.unreadable));
  std::printf("  indexing                 %8.2f s\n", r.index_seconds);
  std::printf("  first pass (cold)        %8.1f img/s  (%.1f s; shorter side cached at %lld px)\n",
              r.first_pass_images_per_sec, r.first_pass_seconds,
              static_cast<long long>(r.short_side_cap));
  std::printf(
      "  loader (warm)            %8.1f img/s  (%s)\n", r.warm_images_per_sec,
      r.device == "cpu" ? "normalized floats, for the CPU" : "pinned uint8 pixels, for the GPU");
  std::printf("  second run               %8.1f img/s  (ready after %.2f s from the cache file)\n",
              r.reopened_images_per_sec, r.reopen_seconds);
  std::printf("  cache: %.1f MiB in memory, %.1f MiB on disk; peak RSS %.0f MiB\n",
              static_cast<double>(r.cache_memory_bytes) / mib,
              static_cast<double>(r.cache_file_bytes) / mib,
              static_cast<double>(r.peak_rss_bytes) / mib);
  if (!a.options.crops_on_device) return;
  std::printf("  crops packed (loader)    %8.1f img/s  (%.0f KiB per image to copy)\n",
              r.packed_images_per_sec, r.packed_bytes_per_image / 1024.0);
  std::printf("  resize + normalize       %8.1f img/s  (on %s alone, upload included)\n",
              r.device_images_per_sec, r.device.c_str());
}

}  // namespace

void add_bench_data(CLI::App& app) {
  auto args = std::make_shared<BenchDataArgs>();
  auto* cmd = app.add_subcommand("bench-data", "images/s the data pipeline delivers for a preset");
  cmd->add_option("--data", args->options.data, "folder or image")->required();
  cmd->add_option("--preset", args->options.preset, "preset whose size and recipe to use")
      ->capture_default_str();
  cmd->add_option("--batch", args->options.batch, "batch size (default: the preset's)")
      ->check(kCount);
  cmd->add_option("--batches", args->options.batches, "timed batches per measurement")
      ->capture_default_str()
      ->check(kCount);
  cmd->add_option("--workers", args->options.workers,
                  "loader threads (default: as mae train takes them: 2 on the CPU; on a GPU, the "
                  "cores less one, at most 16)")
      ->check(kCount);
  cmd->add_option("--cache-dir", args->options.cache_dir,
                  "cache folder (default: a fresh temporary one, so the first pass is cold)");
  cmd->add_flag("--crops-on-device", args->options.crops_on_device,
                "also time train --crops-on-device's halves: the loader packing crop regions, and "
                "the training device (auto) resizing and normalizing them");
  cmd->add_flag("--json", args->json, "print JSON");
  cmd->callback([args] { run(*args); });
}

}  // namespace mae::cli
