// Why: baselines run on the CPU with plain loops: they are reference
// numbers, not a hot path, and exactness matters more than speed.
#include "infer/evaluate.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/utils.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <vector>

#include "data/augment.h"
#include "data/batch_loader.h"
#include "data/picture_fit.h"
#include "model/patchify.h"

namespace mae {

at::Tensor mean_fill(const at::Tensor& image, const at::Tensor& mask, int64_t patch) {
  auto pixel_mask = mask.repeat_interleave(patch, 0).repeat_interleave(patch, 1);  // (H, W)
  auto visible = (1 - pixel_mask).unsqueeze(0);
  auto count = visible.sum().clamp_min(1.0);
  auto means = (image * visible).sum({1, 2}, true) / count;  // (C, 1, 1)
  return image * visible + means * (1 - visible);
}

at::Tensor nearest_visible_fill(const at::Tensor& image, const at::Tensor& mask, int64_t patch) {
  auto src = image.to(at::kFloat).contiguous();
  auto out = src.clone();
  auto m = mask.to(at::kFloat).contiguous();
  const int64_t channels = src.size(0), h = src.size(1), w = src.size(2);
  const int64_t gh = m.size(0), gw = m.size(1);
  auto s = src.accessor<float, 3>();
  auto o = out.accessor<float, 3>();
  auto mk = m.accessor<float, 2>();
  std::vector<std::pair<int64_t, int64_t>> visible;
  for (int64_t i = 0; i < gh; ++i)
    for (int64_t j = 0; j < gw; ++j)
      if (mk[i][j] < 0.5f) visible.emplace_back(i, j);
  for (int64_t y = 0; y < h; ++y) {
    for (int64_t x = 0; x < w; ++x) {
      if (mk[y / patch][x / patch] < 0.5f) continue;
      int64_t best = std::numeric_limits<int64_t>::max(), by = -1, bx = -1;
      for (const auto& [vi, vj] : visible) {
        const int64_t cy = std::clamp(y, vi * patch, vi * patch + patch - 1);
        const int64_t cx = std::clamp(x, vj * patch, vj * patch + patch - 1);
        const int64_t d = (y - cy) * (y - cy) + (x - cx) * (x - cx);
        if (d < best) {
          best = d;
          by = cy;
          bx = cx;
        }
      }
      for (int64_t ch = 0; ch < channels; ++ch) o[ch][y][x] = by < 0 ? 0.0f : s[ch][by][bx];
    }
  }
  return out;
}

namespace {
// Sum over removed patches of the per-patch MSE, for (N, L, D) predictions and targets.
double masked_error_sum(const at::Tensor& pred, const at::Tensor& target, const at::Tensor& mask) {
  return ((pred - target).pow(2).mean(-1) * mask).sum().item<double>();
}
}  // namespace

EvalResult evaluate(MaeModel& model, const Dataset& dataset, const EvalOptions& options) {
  torch::NoGradGuard no_grad;
  model->eval();
  const auto& c = model->config();
  const auto device = model->cls_token.device();
  const int64_t total =
      options.max_images > 0 ? std::min(options.max_images, dataset.size()) : dataset.size();
  const int64_t len_keep = keep_count(c.num_patches(), options.ratio);
  EvalResult r;
  r.ratio = options.ratio;
  r.space = error_space(c);
  double model_sum = 0, mean_sum = 0, nearest_sum = 0, removed = 0;
  for (int64_t start = 0, batch_index = 0; start < total; start += options.batch, ++batch_index) {
    std::vector<int64_t> indices(static_cast<size_t>(std::min(options.batch, total - start)));
    std::iota(indices.begin(), indices.end(), start);
    auto fitted = fit_items(dataset, indices, c.in_chans, c.img_h, c.img_w);
    r.unreadable.insert(r.unreadable.end(), fitted.unreadable.begin(), fitted.unreadable.end());
    const int64_t n = fitted.images.size(0);
    if (n == 0) continue;
    auto x = normalize(fitted.images, c.mean, c.std);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(
        mix_seed(options.seed, static_cast<uint64_t>(batch_index), 0x6576616cULL));
    auto noise = strategy_noise(options.strategy, n, c.grid_h(), c.grid_w(), options.ratio, gen);
    auto out = model->forward(x.to(device), noise, len_keep);
    auto target = patchify(x, c.patch);
    auto mask = out.mask.to(at::kCPU);
    // norm_pix models are compared where they predict, per-patch normalized, and so are the
    // baselines' fills: nothing uses the removed patches' statistics.
    auto compared = comparison_target(c, target);
    model_sum += masked_error_sum(out.pred.to(at::kCPU, at::kFloat), compared, mask);
    std::vector<at::Tensor> mean_fills, nearest_fills;
    for (int64_t i = 0; i < n; ++i) {
      auto grid_mask = mask[i].reshape({c.grid_h(), c.grid_w()});
      mean_fills.push_back(mean_fill(x[i], grid_mask, c.patch));
      nearest_fills.push_back(nearest_visible_fill(x[i], grid_mask, c.patch));
    }
    mean_sum += masked_error_sum(comparison_target(c, patchify(at::stack(mean_fills), c.patch)),
                                 compared, mask);
    nearest_sum += masked_error_sum(
        comparison_target(c, patchify(at::stack(nearest_fills), c.patch)), compared, mask);
    removed += mask.sum().item<double>();
    r.images += n;
  }
  const double denom = std::max(1.0, removed);
  r.model_mse = model_sum / denom;
  r.mean_fill_mse = mean_sum / denom;
  r.nearest_mse = nearest_sum / denom;
  return r;
}

}  // namespace mae
