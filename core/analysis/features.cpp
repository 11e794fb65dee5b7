// Why: batches are assembled exactly as `mae eval` does, so a probe and an
// evaluation of one checkpoint see the same pixels.
#include "analysis/features.h"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "data/augment.h"
#include "data/picture_fit.h"

namespace mae {

std::vector<int64_t> probe_indices(int64_t size, int64_t max_items) {
  const int64_t n = (max_items <= 0 || max_items >= size) ? size : max_items;
  std::vector<int64_t> indices(static_cast<size_t>(std::max<int64_t>(n, 0)));
  for (int64_t i = 0; i < n; ++i) indices[static_cast<size_t>(i)] = i * size / n;
  return indices;
}

namespace {
// Normalised model-size images and labels for indices[start, start + n); an unreadable file
// is left out of the probe, as training leaves it out, and added to `unreadable`.
std::pair<at::Tensor, at::Tensor> load_batch(const MaeConfig& c, const Dataset& dataset,
                                             const std::vector<int64_t>& indices, size_t start,
                                             size_t n, std::vector<std::string>* unreadable) {
  const std::vector<int64_t> wanted(indices.begin() + static_cast<std::ptrdiff_t>(start),
                                    indices.begin() + static_cast<std::ptrdiff_t>(start + n));
  auto fitted = fit_items(dataset, wanted, c.in_chans, c.img_h, c.img_w);
  unreadable->insert(unreadable->end(), fitted.unreadable.begin(), fitted.unreadable.end());
  std::vector<int64_t> labels;
  for (const int64_t i : fitted.kept) labels.push_back(dataset.label(i));
  return {normalize(fitted.images, c.mean, c.std), at::tensor(labels, at::kLong)};
}

LabelledFeatures concat(std::vector<at::Tensor>& features, std::vector<at::Tensor>& labels,
                        int64_t dim, std::vector<std::string> unreadable) {
  if (features.empty())
    return {at::zeros({0, dim}), at::zeros({0}, at::kLong), std::move(unreadable)};
  return {at::cat(features), at::cat(labels), std::move(unreadable)};
}
}  // namespace

LabelledFeatures encoder_features(MaeModel& model, const Dataset& dataset,
                                  const std::vector<int64_t>& indices, int64_t batch,
                                  const FeatureProgressFn& progress, std::stop_token stop) {
  torch::NoGradGuard no_grad;
  model->eval();
  const auto& c = model->config();
  const auto device = model->cls_token.device();
  const int64_t l = c.num_patches();
  std::vector<at::Tensor> features, labels;
  std::vector<std::string> unreadable;
  const size_t step = static_cast<size_t>(std::max<int64_t>(batch, 1));
  for (size_t start = 0; start < indices.size() && !stop.stop_requested(); start += step) {
    const size_t n = std::min(step, indices.size() - start);
    auto [x, y] = load_batch(c, dataset, indices, start, n, &unreadable);
    if (x.size(0) > 0) {
      // Ascending noise keeps every patch in its own order: nothing removed or shuffled.
      auto noise = at::arange(l, at::kFloat).expand({x.size(0), l});
      auto latent = model->forward_encoder(x.to(device), noise, l).latent;
      features.push_back(latent.narrow(1, 1, l).mean(1).to(at::kCPU, at::kFloat));
      labels.push_back(y);
    }
    if (progress) progress(static_cast<int64_t>(start + n), static_cast<int64_t>(indices.size()));
  }
  return concat(features, labels, c.embed_dim, std::move(unreadable));
}

LabelledFeatures pixel_features(const MaeConfig& config, const Dataset& dataset,
                                const std::vector<int64_t>& indices, int64_t batch,
                                std::stop_token stop) {
  const int64_t side =
      static_cast<int64_t>(std::sqrt(1024.0 / static_cast<double>(config.in_chans)));
  const int64_t out_h = std::min(config.img_h, side), out_w = std::min(config.img_w, side);
  std::vector<at::Tensor> features, labels;
  std::vector<std::string> unreadable;
  const size_t step = static_cast<size_t>(std::max<int64_t>(batch, 1));
  for (size_t start = 0; start < indices.size() && !stop.stop_requested(); start += step) {
    const size_t n = std::min(step, indices.size() - start);
    auto [x, y] = load_batch(config, dataset, indices, start, n, &unreadable);
    if (out_h != config.img_h || out_w != config.img_w)
      x = at::adaptive_avg_pool2d(x, {out_h, out_w});
    features.push_back(x.flatten(1).to(at::kFloat));
    labels.push_back(y);
  }
  return concat(features, labels, config.in_chans * out_h * out_w, std::move(unreadable));
}

}  // namespace mae
