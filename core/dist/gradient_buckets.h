// Why: data-parallel ranks must end each step with the same averaged gradients. One
// all-reduce per parameter would pay the network latency hundreds of times per step, so the
// gradients are packed into flat buckets of a few MiB, last layers first (the order backward
// produces them), every bucket's all-reduce is started before the first is waited on, and a
// few step statistics (loss, flags) ride along in the first bucket at no extra round trip.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstddef>
#include <vector>

#include "dist/communicator.h"

namespace mae {

class GradientBuckets {
 public:
  static constexpr size_t kDefaultBucketBytes = size_t{25} << 20;  // as torch's DDP

  GradientBuckets(std::vector<at::Tensor> params, size_t bucket_bytes = kDefaultBucketBytes);

  // Replaces every parameter's gradient by its mean over the ranks (a missing gradient
  // counts as zeros) and returns `stats` summed over the ranks. `what` names the step in
  // error messages.
  std::vector<double> average(Communicator& comm, const std::vector<double>& stats,
                              const std::string& what);

  size_t bucket_count() const { return buckets_.size(); }
  // Bytes all-reduced per step (gradients and statistics).
  size_t bytes_per_step(size_t stat_count) const;

 private:
  std::vector<at::Tensor> params_;
  std::vector<std::vector<size_t>> buckets_;  // indices into params_
};

}  // namespace mae
