// Why: each figure is timed on its own, with the loader's threads as training runs them and the
// device's share timed to its completion, so the figures compare with the trainer's images/s.
#include "train/data_benchmark.h"

#include <sys/resource.h>

#include <chrono>
#include <filesystem>
#include <random>

#include "data/batch_loader.h"
#include "data/image_folder.h"
#include "recipe/recipe.h"
#include "train/device.h"
#include "train/device_upload.h"
#include "train/loader_workers.h"
#include "train/trainer.h"

namespace mae {

namespace {

using clock = std::chrono::steady_clock;

double seconds_since(clock::time_point start) {
  return std::chrono::duration<double>(clock::now() - start).count();
}

double loader_images_per_sec(const std::shared_ptr<const Dataset>& dataset,
                             const LoaderConfig& config, int64_t batches) {
  BatchLoader loader(dataset, config, 0);
  for (int i = 0; i < 2; ++i) loader.next();  // workers started, first batches in flight
  const auto start = clock::now();
  for (int64_t i = 0; i < batches; ++i) loader.next();
  return static_cast<double>(batches * config.batch) / seconds_since(start);
}

// The loader packing crops, then the device's share on batches it packed: the upload, the
// resize and the normalization, timed to the device's completion.
void measure_device_crops(const std::shared_ptr<const Dataset>& dataset, LoaderConfig config,
                          int64_t batches, const MaeConfig& model, DataBenchResult* r) {
  config.output = LoaderOutput::Crops;
  std::vector<PackedCrops> kept;
  {
    BatchLoader loader(dataset, config, 0);
    for (int i = 0; i < 2; ++i) kept.push_back(loader.next_crops());
    double bytes = 0.0;
    const auto start = clock::now();
    for (int64_t i = 0; i < batches; ++i)
      bytes += static_cast<double>(loader.next_crops().pixels.nbytes());
    const double images = static_cast<double>(batches * config.batch);
    r->packed_images_per_sec = images / seconds_since(start);
    r->packed_bytes_per_image = bytes / images;
  }
  auto on_device = [&](int64_t i) {
    const auto& p = kept[static_cast<size_t>(i) % kept.size()];
    const auto pixels = upload_behind_current_stream({p.pixels}, r->device)[0];
    normalize_pixels(resize_packed_crops(pixels, p.channels, p.regions, model.img_h, model.img_w),
                     model.mean, model.std);
  };
  on_device(0);  // kernels loaded, memory cached
  synchronize(r->device);
  const auto start = clock::now();
  for (int64_t i = 0; i < batches; ++i) on_device(i);
  synchronize(r->device);
  r->device_images_per_sec = static_cast<double>(batches * config.batch) / seconds_since(start);
}

}  // namespace

int64_t peak_rss_bytes() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;
}

DataBenchResult run_data_benchmark(const DataBenchOptions& options) {
  Recipe recipe = preset_recipe(options.preset);
  TrainConfig& t = recipe.train;
  t.data = options.data;
  if (options.batch > 0) t.batch = options.batch;
  t.device = resolve_device("auto");  // the loader as training here would take it
  t.loader_workers =
      options.workers > 0 ? options.workers : default_loader_workers(t.device, /*local_ranks=*/1);
  DataOptions data = training_data_options(recipe.model, t);
  std::string temporary;
  if (options.cache_dir.empty()) {
    std::random_device rd;
    temporary =
        (std::filesystem::temp_directory_path() / ("mae-bench-data-" + std::to_string(rd())))
            .string();
    data.cache_dir = temporary;
  } else {
    data.cache_dir = options.cache_dir;
  }
  DataBenchResult r;
  r.device = t.device;
  r.batch = t.batch;
  r.workers = t.loader_workers;
  r.out_size = recipe.model.img_h;
  r.short_side_cap = data.short_side_cap;

  const LoaderConfig lc = training_loader_config(recipe.model, t);
  {
    auto start = clock::now();
    auto dataset = open_dataset(options.data, recipe.model.in_chans, data);
    r.index_seconds = seconds_since(start);
    r.files = dataset->size();
    start = clock::now();
    dataset->prepare({}, {});
    r.first_pass_seconds = seconds_since(start);
    r.first_pass_images_per_sec = static_cast<double>(r.files) / r.first_pass_seconds;
    r.warm_images_per_sec = loader_images_per_sec(dataset, lc, options.batches);
    if (auto* folder = dynamic_cast<const ImageFolderDataset*>(dataset.get())) {
      const auto stats = folder->cache_stats();
      r.cache_memory_bytes = stats.memory_bytes;
      r.cache_file_bytes = stats.disk_bytes;
      r.unreadable = folder->unreadable_files();
    }
    if (options.crops_on_device)
      measure_device_crops(dataset, lc, options.batches, recipe.model, &r);
  }  // the first run's cache is closed and its index written
  {
    auto start = clock::now();
    auto dataset = open_dataset(options.data, recipe.model.in_chans, data);
    dataset->prepare({}, {});
    r.reopen_seconds = seconds_since(start);
    r.reopened_images_per_sec = loader_images_per_sec(dataset, lc, options.batches);
  }
  r.peak_rss_bytes = peak_rss_bytes();
  if (!temporary.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(temporary, ec);
  }
  return r;
}

}  // namespace mae
