// Why: data-parallel ranks must end each step with the same averaged gradients. One
// all-reduce per parameter would pay the network latency hundreds of times per step, so the
// gradients are packed into flat buckets of a few MiB, last layers first (the order backward
// produces them). A bucket's all-reduce starts from an autograd hook the moment backward has
// accumulated its last gradient, so communication overlaps the rest of backward, and a few
// step statistics (loss, flags) ride along in the first bucket at no extra round trip.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "dist/communicator.h"

namespace mae {

class GradientBuckets {
 public:
  static constexpr size_t kDefaultBucketBytes = size_t{25} << 20;  // as torch's DDP

  // `overlap` registers the autograd hooks that start buckets during backward.
  GradientBuckets(std::vector<at::Tensor> params, size_t bucket_bytes = kDefaultBucketBytes,
                  bool overlap = true);
  ~GradientBuckets();

  // Call before the step's last backward: from then on each bucket's all-reduce starts as
  // soon as its gradients are in (always in bucket order, the same on every rank).
  // `stats` are summed over the ranks along with the first bucket; `what` names the step in
  // error messages.
  void start(Communicator& comm, const std::vector<double>& stats, const std::string& what);
  // Starts the buckets backward did not (all of them when there was no backward), waits,
  // replaces every gradient by its mean over the ranks (a missing gradient counts as
  // zeros) and returns the summed stats.
  std::vector<double> finish();

  size_t bucket_count() const { return buckets_.size(); }
  // Buckets whose all-reduce started inside backward at the last finish().
  size_t started_in_backward() const { return started_in_backward_; }
  // Bytes all-reduced per step (gradients and statistics).
  size_t bytes_per_step(size_t stat_count) const;

 private:
  void gradient_ready(size_t param);
  void launch_ready_buckets(bool all);
  void launch(size_t bucket);

  std::vector<at::Tensor> params_;
  std::vector<std::vector<size_t>> buckets_;  // indices into params_
  std::vector<size_t> bucket_of_;             // per parameter
  std::vector<size_t> pending_in_bucket_;
  std::vector<at::Tensor> flats_;
  std::vector<PendingCollective> in_flight_;
  size_t next_to_launch_ = 0;
  size_t started_in_backward_ = 0;
  bool armed_ = false;
  Communicator* comm_ = nullptr;
  std::vector<double> stats_;
  std::string what_;
};

}  // namespace mae
