// Why: the loader's batches reuse the memory of those the trainer released, so that no batch
// pays for fresh pages; the blocks are aligned for vector loads as torch's allocator aligns.
#include "data/recycled_buffers.h"

#include <ATen/ATen.h>
#include <c10/util/accumulate.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

namespace mae {

namespace {
constexpr size_t kAlignment = 64;
}

struct RecycledBuffers::Pool {
  explicit Pool(size_t kept) : kept_free(kept) {}
  ~Pool() {
    for (const auto& [bytes, block] : free) std::free(block);
  }

  void* take(size_t bytes) {
    {
      std::lock_guard lock(mutex);
      auto it =
          std::find_if(free.begin(), free.end(), [&](const auto& b) { return b.first == bytes; });
      if (it != free.end()) {
        void* block = it->second;
        free.erase(it);
        return block;
      }
    }
    void* block = std::aligned_alloc(kAlignment, bytes);
    if (block == nullptr) throw std::bad_alloc();
    return block;
  }

  void give_back(void* block, size_t bytes) {
    {
      std::lock_guard lock(mutex);
      if (free.size() < kept_free) {
        free.emplace_back(bytes, block);
        return;
      }
    }
    std::free(block);
  }

  const size_t kept_free;
  mutable std::mutex mutex;
  std::vector<std::pair<size_t, void*>> free;  // (bytes, block)
};

RecycledBuffers::RecycledBuffers(size_t kept_free) : pool_(std::make_shared<Pool>(kept_free)) {}

at::Tensor RecycledBuffers::empty(at::IntArrayRef sizes, at::ScalarType type) {
  const size_t used = c10::multiply_integers(sizes) * c10::elementSize(type);
  const size_t bytes = std::max(kAlignment, (used + kAlignment - 1) / kAlignment * kAlignment);
  void* block = pool_->take(bytes);
  try {
    return at::from_blob(
        block, sizes, [pool = pool_, bytes](void* data) { pool->give_back(data, bytes); },
        at::TensorOptions().dtype(type).device(at::kCPU));
  } catch (...) {
    pool_->give_back(block, bytes);
    throw;
  }
}

size_t RecycledBuffers::free_blocks() const {
  std::lock_guard lock(pool_->mutex);
  return pool_->free.size();
}

}  // namespace mae
