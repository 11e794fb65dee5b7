// Why: see gradient_buckets.h.
#include "dist/gradient_buckets.h"

#include <ATen/ATen.h>

namespace mae {

GradientBuckets::GradientBuckets(std::vector<at::Tensor> params, size_t bucket_bytes)
    : params_(std::move(params)) {
  size_t bytes = 0;
  for (size_t i = params_.size(); i-- > 0;) {
    const size_t size = static_cast<size_t>(params_[i].numel()) * params_[i].element_size();
    if (buckets_.empty() || bytes + size > bucket_bytes) {
      buckets_.emplace_back();
      bytes = 0;
    }
    buckets_.back().push_back(i);
    bytes += size;
  }
}

size_t GradientBuckets::bytes_per_step(size_t stat_count) const {
  size_t bytes = 0;
  for (const auto& p : params_) bytes += static_cast<size_t>(p.numel()) * p.element_size();
  return bytes + stat_count * sizeof(float);
}

std::vector<double> GradientBuckets::average(Communicator& comm, const std::vector<double>& stats,
                                             const std::string& what) {
  if (buckets_.empty()) throw DistError("no parameters to average");
  std::vector<at::Tensor> flats;
  std::vector<PendingCollective> pending;
  flats.reserve(buckets_.size());
  pending.reserve(buckets_.size());
  const auto options = params_.front().options();
  for (size_t b = 0; b < buckets_.size(); ++b) {
    std::vector<at::Tensor> parts;
    for (size_t i : buckets_[b]) {
      const auto& grad = params_[i].grad();
      parts.push_back(grad.defined() ? grad.reshape({-1})
                                     : at::zeros({params_[i].numel()}, options));
    }
    if (b == 0) {
      std::vector<float> values(stats.begin(), stats.end());
      parts.push_back(at::tensor(values, options));
    }
    flats.push_back(at::cat(parts));
    pending.push_back(comm.all_reduce_sum(flats.back(), what));
  }
  const double inverse_world = 1.0 / static_cast<double>(comm.world());
  std::vector<double> summed;
  for (size_t b = 0; b < buckets_.size(); ++b) {
    pending[b].wait();
    int64_t offset = 0;
    for (size_t i : buckets_[b]) {
      auto& param = params_[i];
      const int64_t n = param.numel();
      auto mean = flats[b].narrow(0, offset, n).view(param.sizes()).mul_(inverse_world);
      if (param.grad().defined())
        param.mutable_grad().copy_(mean);
      else
        param.mutable_grad() = mean.clone();
      offset += n;
    }
    if (b == 0) {
      auto tail = flats[b].narrow(0, offset, static_cast<int64_t>(stats.size())).to(at::kCPU);
      for (int64_t k = 0; k < tail.numel(); ++k) summed.push_back(tail[k].item<double>());
    }
  }
  return summed;
}

}  // namespace mae
