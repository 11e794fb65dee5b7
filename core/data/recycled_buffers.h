// Why: glibc serves every block of 32 MiB or more with a fresh mmap (its heap's ceiling), so a
// loader building ViT-sized float batches on the CPU had each batch's pages faulted in and
// zeroed by the kernel: its rate halved from batch 16 to batch 64. The loader's batches all
// have one size and live a step or two, so the memory of a batch the trainer has let go is
// handed to the next one, as a caching allocator does.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstddef>
#include <memory>

namespace mae {

class RecycledBuffers {
 public:
  // Keeps at most `kept_free` released blocks; others go back to the system.
  explicit RecycledBuffers(size_t kept_free);

  // An uninitialised, contiguous CPU tensor. Its memory is a released block of the same size
  // where there is one, and comes back here when the tensor's last reference goes, even after
  // this object is gone.
  at::Tensor empty(at::IntArrayRef sizes, at::ScalarType type);

  // Released blocks held now (for tests).
  size_t free_blocks() const;

 private:
  struct Pool;
  std::shared_ptr<Pool> pool_;
};

}  // namespace mae
