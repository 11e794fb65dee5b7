// Why: "does the loader keep up with the model?" needs a number, not a guess. This measures
// a folder the way training reads it: the first pass (decoding every file into the cache),
// the loader's images/s from memory, and a second run that starts from the cache file; and,
// when asked, the two halves of cropping on the training device: the loader packing crop
// regions, and the device resizing and normalizing them.
#pragma once

#include <cstdint>
#include <string>

namespace mae {

struct DataBenchOptions {
  std::string data;
  std::string preset = "rgb-small";
  int64_t batch = 0;      // 0: the preset's recipe batch
  int64_t batches = 20;   // timed loader batches per measurement
  int64_t workers = 0;    // 0: as training here takes them (default_loader_workers)
  std::string cache_dir;  // empty: a fresh temporary folder, so the first pass is cold
  bool crops_on_device = false;
};

struct DataBenchResult {
  int64_t files = 0;
  int64_t unreadable = 0;
  int64_t batch = 0;
  int64_t workers = 0;         // loader threads used
  int64_t out_size = 0;        // model input side
  int64_t short_side_cap = 0;  // cached pictures' shorter side
  double index_seconds = 0.0;
  double first_pass_seconds = 0.0;
  double first_pass_images_per_sec = 0.0;  // cold: every file decoded once
  double warm_images_per_sec = 0.0;        // loader, pixels in memory, output as for `device`
  double reopen_seconds = 0.0;             // a second run: open + prepare from the cache file
  double reopened_images_per_sec = 0.0;    // loader of that second run
  size_t cache_memory_bytes = 0;
  size_t cache_file_bytes = 0;
  int64_t peak_rss_bytes = 0;
  // The training device `auto` gives here; the loader's output is what training there takes
  // (normalized floats on the CPU, pinned uint8 pixels for a GPU).
  std::string device;
  // With crops_on_device (0 otherwise):
  double packed_images_per_sec = 0.0;   // loader, crop regions packed in pinned memory
  double packed_bytes_per_image = 0.0;  // what crosses the bus instead of the resized crop
  double device_images_per_sec = 0.0;   // upload, resize and normalize on `device` alone
};

DataBenchResult run_data_benchmark(const DataBenchOptions& options);

// Peak resident memory of this process so far (getrusage), in bytes.
int64_t peak_rss_bytes();

}  // namespace mae
