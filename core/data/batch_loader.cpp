// Why: seeds are mixed from (seed, step, position), never drawn in sequence, so any worker may
// build any batch in any order and a batch is the same whoever builds it.
#include "data/batch_loader.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <stdexcept>

#include "data/image_io.h"
#include "util/intra_op_threads.h"

namespace mae {

uint64_t mix_seed(uint64_t seed, uint64_t a, uint64_t b) {
  auto splitmix = [](uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  };
  return splitmix(splitmix(splitmix(seed) ^ a) ^ b);
}

namespace {
// Whole batches are at most float (N, C, H, W): hold no more of them than the budget allows.
// Packed crops vary in size; the workers also stop at the budget's bytes (work()).
LoaderConfig with_affordable_prefetch(LoaderConfig config, int64_t channels) {
  const int64_t batch_bytes = config.batch / std::max<int64_t>(1, config.shard_count) * channels *
                              config.augment.out_h * config.augment.out_w *
                              static_cast<int64_t>(sizeof(float));
  const auto affordable =
      static_cast<int64_t>(config.ready_memory_budget) / std::max<int64_t>(1, batch_bytes);
  config.prefetch = std::clamp<int64_t>(affordable, 1, std::max<int64_t>(1, config.prefetch));
  return config;
}
}  // namespace

BatchLoader::BatchLoader(std::shared_ptr<const Dataset> dataset, LoaderConfig config,
                         int64_t first_step)
    : dataset_(std::move(dataset)),
      config_(with_affordable_prefetch(std::move(config), dataset_->channels())),
      // Every batch ready or being built, one with the consumer, one it has just let go.
      normalized_buffers_(
          static_cast<size_t>(config_.prefetch + std::max<int64_t>(1, config_.workers) + 2)),
      cursor_(first_step),
      next_to_build_(first_step) {
  if (dataset_->size() == 0) throw DataError("the dataset is empty");
  if (config_.shard_count < 1 || config_.shard_index < 0 ||
      config_.shard_index >= config_.shard_count || config_.batch % config_.shard_count != 0)
    throw DataError("a batch of " + std::to_string(config_.batch) + " cannot be split into " +
                    std::to_string(config_.shard_count) + " equal slices");
  const int64_t workers = std::max<int64_t>(1, config_.workers);
  for (int64_t i = 0; i < workers; ++i)
    workers_.emplace_back([this](const std::stop_token& stop) { work(stop); });
}

BatchLoader::~BatchLoader() {
  for (auto& w : workers_) w.request_stop();
  changed_.notify_all();
}

std::string BatchLoader::last_warning() const {
  std::lock_guard lock(mutex_);
  return last_warning_;
}

namespace {
size_t bytes_of(const std::variant<at::Tensor, PackedCrops>& built) {
  const auto& t = std::holds_alternative<at::Tensor>(built) ? std::get<at::Tensor>(built)
                                                            : std::get<PackedCrops>(built).pixels;
  return t.nbytes();
}
}  // namespace

at::Tensor BatchLoader::next() {
  if (config_.output == LoaderOutput::Crops)
    throw std::logic_error("BatchLoader::next() on a loader that packs crops");
  return std::get<at::Tensor>(take_next());
}

PackedCrops BatchLoader::next_crops() {
  if (config_.output != LoaderOutput::Crops)
    throw std::logic_error("BatchLoader::next_crops() on a loader that builds whole batches");
  return std::get<PackedCrops>(take_next());
}

bool BatchLoader::next_settled() const {
  return ready_.count(cursor_) > 0 || failed_.count(cursor_) > 0;
}

bool BatchLoader::wait_for_next(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return next_settled(); });
}

BatchLoader::Built BatchLoader::take_next() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return next_settled(); });
  if (auto it = failed_.find(cursor_); it != failed_.end()) {
    auto error = it->second;
    failed_.erase(it);
    ++cursor_;
    changed_.notify_all();
    std::rethrow_exception(error);
  }
  auto batch = std::move(ready_.at(cursor_));
  ready_.erase(cursor_);
  ready_bytes_ -= bytes_of(batch);
  ++cursor_;
  changed_.notify_all();
  return batch;
}

void BatchLoader::work(const std::stop_token& stop) {
  set_intra_op_threads_here(1);
  // Every worker building one batch, and up to `prefetch` more built ahead: a window of only
  // `prefetch` kept all but that many workers idle (3 of 15 building ViT-B/16's batches).
  const int64_t window = config_.prefetch + std::max<int64_t>(1, config_.workers);
  while (true) {
    int64_t step = 0;
    {
      std::unique_lock lock(mutex_);
      // Within the window and the memory budget; the batch the consumer waits for is always
      // built.
      if (!changed_.wait(lock, stop, [&] {
            return next_to_build_ == cursor_ || (next_to_build_ < cursor_ + window &&
                                                 ready_bytes_ < config_.ready_memory_budget);
          }))
        return;
      step = next_to_build_++;
    }
    try {
      auto batch = build(step);
      std::lock_guard lock(mutex_);
      ready_bytes_ += bytes_of(batch);
      ready_[step] = std::move(batch);
    } catch (...) {
      std::lock_guard lock(mutex_);
      failed_[step] = std::current_exception();
    }
    changed_.notify_all();
  }
}

std::shared_ptr<const std::vector<int64_t>> BatchLoader::permutation(int64_t epoch) {
  std::lock_guard lock(mutex_);
  if (auto it = permutations_.find(epoch); it != permutations_.end()) return it->second;
  auto perm = std::make_shared<std::vector<int64_t>>(static_cast<size_t>(dataset_->size()));
  std::iota(perm->begin(), perm->end(), 0);
  std::mt19937_64 rng(mix_seed(config_.seed, 0x5eed, static_cast<uint64_t>(epoch)));
  std::shuffle(perm->begin(), perm->end(), rng);
  permutations_[epoch] = perm;
  while (permutations_.size() > 3) permutations_.erase(permutations_.begin());
  return perm;
}

DecodedImage BatchLoader::load_with_fallback(int64_t position, int64_t epoch) {
  const auto perm = permutation(epoch);
  const int64_t n = dataset_->size();
  const int64_t tries = std::min<int64_t>(n, 32);
  for (int64_t t = 0; t < tries; ++t) {
    const int64_t index = (*perm)[static_cast<size_t>((position + t) % n)];
    try {
      return dataset_->load_pixels(index);
    } catch (const ImageError& e) {
      ++skipped_;
      std::lock_guard lock(mutex_);
      last_warning_ = std::string("skipped an unreadable image: ") + e.what();
    }
  }
  throw DataError("no decodable image among " + std::to_string(tries) +
                  " consecutive samples; last problem: " + last_warning());
}

BatchLoader::Built BatchLoader::build(int64_t step) {
  const int64_t n = dataset_->size();
  std::vector<DecodedImage> images;
  std::vector<CropBox> boxes;
  const int64_t slice = config_.batch / config_.shard_count;
  images.reserve(static_cast<size_t>(slice));
  boxes.reserve(static_cast<size_t>(slice));
  for (int64_t j = config_.shard_index * slice; j < (config_.shard_index + 1) * slice; ++j) {
    const int64_t global = step * config_.batch + j;
    images.push_back(load_with_fallback(global % n, global / n));
    // Drawn from the sample's place in the stream, not its place in a batch: micro-batches
    // of B/K images then crop exactly as batches of B do, and ranks as one process.
    std::mt19937_64 rng(mix_seed(config_.seed, 0x63726f70ULL, static_cast<uint64_t>(global)));
    boxes.push_back(
        sample_crop(images.back().source_h, images.back().source_w, config_.augment, rng));
  }
  if (config_.output == LoaderOutput::Crops) return pack_crops(images, boxes, config_.pinned);
  auto batch = crop_resize(images, boxes, config_.augment.out_h, config_.augment.out_w, at::kCPU);
  if (config_.output == LoaderOutput::Normalized)
    batch = normalize_pixels_into(normalized_buffers_.empty(batch.sizes(), at::kFloat), batch,
                                  config_.mean, config_.std);
  return config_.pinned ? batch.pin_memory() : batch;
}

}  // namespace mae
