// Why: backward's hooks may fire in any order, but every rank must issue the same collectives in
// the same sequence, so a bucket is sent only once all buckets before it have been.
#include "dist/gradient_buckets.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>

namespace mae {

namespace {

struct ReadyHook : torch::autograd::PostAccumulateGradHook {
  ReadyHook(std::function<void()> ready) : ready_(std::move(ready)) {}
  void operator()(const torch::autograd::Variable&) override { ready_(); }
  std::function<void()> ready_;
};

}  // namespace

GradientBuckets::GradientBuckets(std::vector<at::Tensor> params, size_t bucket_bytes, bool overlap)
    : params_(std::move(params)), bucket_of_(params_.size()) {
  size_t bytes = 0;
  for (size_t i = params_.size(); i-- > 0;) {
    const size_t size = static_cast<size_t>(params_[i].numel()) * params_[i].element_size();
    if (buckets_.empty() || bytes + size > bucket_bytes) {
      buckets_.emplace_back();
      bytes = 0;
    }
    buckets_.back().push_back(i);
    bucket_of_[i] = buckets_.size() - 1;
    bytes += size;
  }
  if (overlap)
    for (size_t i = 0; i < params_.size(); ++i)
      if (params_[i].requires_grad())
        torch::autograd::impl::set_post_acc_grad_hooks(
            params_[i], std::make_unique<ReadyHook>([this, i] { gradient_ready(i); }));
}

GradientBuckets::~GradientBuckets() {
  for (auto& p : params_)
    if (p.requires_grad()) torch::autograd::impl::post_acc_grad_hooks(p).reset();
}

size_t GradientBuckets::bytes_per_step(size_t stat_count) const {
  size_t bytes = 0;
  for (const auto& p : params_) bytes += static_cast<size_t>(p.numel()) * p.element_size();
  return bytes + stat_count * sizeof(float);
}

void GradientBuckets::start(Communicator& comm, const std::vector<double>& stats,
                            const std::string& what) {
  if (buckets_.empty()) throw DistError("no parameters to average");
  comm_ = &comm;
  stats_ = stats;
  what_ = what;
  flats_.assign(buckets_.size(), at::Tensor());
  in_flight_.clear();
  pending_in_bucket_.clear();
  for (const auto& b : buckets_) pending_in_bucket_.push_back(b.size());
  next_to_launch_ = 0;
  started_in_backward_ = 0;
  armed_ = true;
}

void GradientBuckets::gradient_ready(size_t param) {
  if (!armed_) return;  // backward of an earlier micro-batch: gradients still accumulate
  size_t& pending = pending_in_bucket_[bucket_of_[param]];
  if (pending > 0 && --pending == 0) launch_ready_buckets(false);
}

// Buckets start strictly in order: every rank must issue the same collectives in the same
// sequence, whatever order its hooks fire in.
void GradientBuckets::launch_ready_buckets(bool all) {
  while (next_to_launch_ < buckets_.size() && (all || pending_in_bucket_[next_to_launch_] == 0)) {
    if (!all) ++started_in_backward_;
    launch(next_to_launch_++);
  }
}

void GradientBuckets::launch(size_t bucket) {
  const auto options = params_.front().options();
  std::vector<at::Tensor> parts;
  for (size_t i : buckets_[bucket]) {
    const auto& grad = params_[i].grad();
    parts.push_back(grad.defined() ? grad.reshape({-1}) : at::zeros({params_[i].numel()}, options));
  }
  if (bucket == 0) {
    std::vector<float> values(stats_.begin(), stats_.end());
    parts.push_back(at::tensor(values, options));
  }
  flats_[bucket] = at::cat(parts);
  in_flight_.push_back(comm_->all_reduce_sum(flats_[bucket], what_));
}

std::vector<double> GradientBuckets::finish() {
  armed_ = false;
  launch_ready_buckets(true);
  const double inverse_world = 1.0 / static_cast<double>(comm_->world());
  std::vector<double> summed;
  at::NoGradGuard no_grad;
  for (size_t b = 0; b < buckets_.size(); ++b) {
    in_flight_[b].wait();
    int64_t offset = 0;
    for (size_t i : buckets_[b]) {
      auto& param = params_[i];
      const int64_t n = param.numel();
      auto mean = flats_[b].narrow(0, offset, n).view(param.sizes()).mul_(inverse_world);
      if (param.grad().defined())
        param.mutable_grad().copy_(mean);
      else
        param.mutable_grad() = mean.clone();
      offset += n;
    }
    if (b == 0) {
      auto tail = flats_[b].narrow(0, offset, static_cast<int64_t>(stats_.size())).to(at::kCPU);
      for (int64_t k = 0; k < tail.numel(); ++k) summed.push_back(tail[k].item<double>());
    }
  }
  flats_.clear();
  in_flight_.clear();
  return summed;
}

}  // namespace mae
