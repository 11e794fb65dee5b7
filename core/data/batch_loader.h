// Why: the trainer must never wait on decoding. Worker threads build the next batches ahead
// of time from the dataset's cached pixels; each batch is a pure function of (seed, step)
// (sample order and augmentation), so a resumed run sees exactly the batches the
// uninterrupted run would have seen. Memory is bounded: workers x batch x output size for
// batches in flight, plus the ready ones up to a budget.
#pragma once

#include <ATen/core/Tensor.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "data/augment.h"
#include "data/dataset.h"
#include "data/recycled_buffers.h"

namespace mae {

// What the loader hands over: normalized float batches, or the 0..255 pixel values (uint8 for
// 8-bit pictures) for the consumer to normalize with normalize_pixels where it likes, on a
// GPU for the trainer; or, for a GPU that also crops, each picture's crop region packed
// (pack_crops), to resize there with resize_packed_crops.
enum class LoaderOutput { Normalized, Pixels, Crops };

struct LoaderConfig {
  int64_t batch = 64;  // images per step over all ranks
  // Data-parallel ranks each build one equal, disjoint slice of every batch: the images
  // [shard_index, shard_index + 1) * batch / shard_count, exactly as one rank would see them.
  int64_t shard_index = 0;
  int64_t shard_count = 1;
  uint64_t seed = 0;
  int64_t workers = 2;
  int64_t prefetch = 4;  // batches built ahead of the consumer, beyond one per worker, at most
  size_t ready_memory_budget = size_t{256} << 20;  // bytes of built batches waiting
  AugmentConfig augment;
  LoaderOutput output = LoaderOutput::Normalized;
  // Ready batches (or packed crops) in page-locked memory (needs CUDA), so that a copy to the GPU
  // is queued without waiting and without a staging copy on the consumer's thread.
  bool pinned = false;
  std::vector<double> mean;
  std::vector<double> std;
};

class BatchLoader {
 public:
  BatchLoader(std::shared_ptr<const Dataset> dataset, LoaderConfig config, int64_t first_step);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // This rank's (N, C, H, W) slice of the next step's batch, normalized or as pixels (see
  // LoaderOutput). Rethrows a worker's failure.
  at::Tensor next();
  // The same for LoaderOutput::Crops: this rank's crop regions of the next step's batch.
  PackedCrops next_crops();
  // Waits at most `timeout` for the next batch (or its failure); true once next() or
  // next_crops() would return at once.
  bool wait_for_next(std::chrono::milliseconds timeout);
  // Files that could not be decoded and were replaced by another sample.
  int64_t skipped_files() const { return skipped_.load(); }
  std::string last_warning() const;

 private:
  using Built = std::variant<at::Tensor, PackedCrops>;
  Built take_next();
  // Whether the consumer's next batch is built or has failed; mutex_ held.
  bool next_settled() const;
  void work(const std::stop_token& stop);
  Built build(int64_t step);
  DecodedImage load_with_fallback(int64_t position_in_epoch, int64_t epoch);
  std::shared_ptr<const std::vector<int64_t>> permutation(int64_t epoch);

  std::shared_ptr<const Dataset> dataset_;
  LoaderConfig config_;
  RecycledBuffers normalized_buffers_;  // float batches: ViT-sized ones are 32 MiB or more
  std::atomic<int64_t> skipped_{0};

  mutable std::mutex mutex_;
  std::condition_variable_any changed_;
  int64_t cursor_;         // next step handed to the consumer
  int64_t next_to_build_;  // next step a worker will claim
  std::map<int64_t, Built> ready_;
  size_t ready_bytes_ = 0;  // of ready_
  std::map<int64_t, std::exception_ptr> failed_;
  std::map<int64_t, std::shared_ptr<const std::vector<int64_t>>> permutations_;
  std::string last_warning_;
  std::vector<std::jthread> workers_;
};

// Stable 64-bit mix of a seed with stream identifiers (splitmix64), for per-sample engines.
uint64_t mix_seed(uint64_t seed, uint64_t a, uint64_t b = 0);

}  // namespace mae
