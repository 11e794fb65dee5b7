// Why: baselines run on the CPU with plain loops, exact rather than fast; but a GPU runs the
// model so much faster that they must not run a picture at a time on one core, nor try every
// visible patch for every hidden pixel.
#include "infer/evaluate.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/utils.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <utility>
#include <vector>

#include "data/augment.h"
#include "data/batch_loader.h"
#include "data/picture_fit.h"
#include "model/patchify.h"

namespace mae {

at::Tensor mean_fill(const at::Tensor& image, const at::Tensor& mask, int64_t patch) {
  const int64_t gh = mask.size(0), gw = mask.size(1);
  auto pixel_mask =  // (H, W): a copy, where repeat_interleave gathered every pixel by index
      mask.reshape({gh, 1, gw, 1}).expand({gh, patch, gw, patch}).reshape({gh * patch, gw * patch});
  auto visible = (1 - pixel_mask).unsqueeze(0);
  auto count = visible.sum().clamp_min(1.0);
  auto means = (image * visible).sum({1, 2}, true) / count;  // (C, 1, 1)
  return image * visible + means * (1 - visible);
}

namespace {

// One axis of a patch against another: the nearest and the farthest any of the first's pixels
// can be from the second's (0 when they overlap), given each patch's first pixel.
struct AxisReach {
  int64_t nearest, farthest;
};
AxisReach axis_reach(int64_t from, int64_t to, int64_t patch) {
  const auto gap = [&](int64_t pixel) {
    return std::max<int64_t>({0, to - pixel, pixel - (to + patch - 1)});
  };
  return {std::max<int64_t>({0, to - (from + patch - 1), from - (to + patch - 1)}),
          std::max(gap(from), gap(from + patch - 1))};
}

struct GridCell {
  int64_t row, col;
};

// The visible patches that can hold the nearest visible pixel of some pixel of `masked`, in the
// grid's row-major order: those no farther from it than the visible patch whose farthest pixel
// is nearest. Any patch a pixel's nearest lies in is within that, so searching only these gives
// the same pixel, ties included (the first in row-major order), as searching them all.
std::vector<GridCell> candidates_for(const GridCell& masked, const std::vector<GridCell>& visible,
                                     int64_t patch) {
  int64_t bound = std::numeric_limits<int64_t>::max();
  for (const auto& v : visible) {
    const auto dy = axis_reach(masked.row * patch, v.row * patch, patch);
    const auto dx = axis_reach(masked.col * patch, v.col * patch, patch);
    bound = std::min(bound, dy.farthest * dy.farthest + dx.farthest * dx.farthest);
  }
  std::vector<GridCell> out;
  for (const auto& v : visible) {
    const auto dy = axis_reach(masked.row * patch, v.row * patch, patch);
    const auto dx = axis_reach(masked.col * patch, v.col * patch, patch);
    if (dy.nearest * dy.nearest + dx.nearest * dx.nearest <= bound) out.push_back(v);
  }
  return out;
}

}  // namespace

at::Tensor nearest_visible_fill(const at::Tensor& image, const at::Tensor& mask, int64_t patch) {
  auto src = image.to(at::kFloat).contiguous();
  auto out = src.clone();
  auto m = mask.to(at::kFloat).contiguous();
  const int64_t channels = src.size(0), gh = m.size(0), gw = m.size(1);
  auto s = src.accessor<float, 3>();
  auto o = out.accessor<float, 3>();
  auto mk = m.accessor<float, 2>();
  std::vector<GridCell> visible;
  for (int64_t i = 0; i < gh; ++i)
    for (int64_t j = 0; j < gw; ++j)
      if (mk[i][j] < 0.5f) visible.push_back({i, j});
  for (int64_t pi = 0; pi < gh; ++pi) {
    for (int64_t pj = 0; pj < gw; ++pj) {
      if (mk[pi][pj] < 0.5f) continue;
      const auto near = candidates_for({pi, pj}, visible, patch);
      for (int64_t y = pi * patch; y < (pi + 1) * patch; ++y) {
        for (int64_t x = pj * patch; x < (pj + 1) * patch; ++x) {
          int64_t best = std::numeric_limits<int64_t>::max(), by = -1, bx = -1;
          for (const auto& v : near) {
            const int64_t cy = std::clamp(y, v.row * patch, v.row * patch + patch - 1);
            const int64_t cx = std::clamp(x, v.col * patch, v.col * patch + patch - 1);
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
    }
  }
  return out;
}

namespace {
// Sum over removed patches of the per-patch MSE, for (N, L, D) predictions and targets.
double masked_error_sum(const at::Tensor& pred, const at::Tensor& target, const at::Tensor& mask) {
  return ((pred - target).pow(2).mean(-1) * mask).sum().item<double>();
}

// Both baselines' fills of a batch, a picture per intra-op thread at a time. On a GPU machine
// the model's forward takes a fraction of what these loops took on one core (5 ms a 224-px
// picture at ratio 0.75, 1.3 s a batch of 256).
std::pair<at::Tensor, at::Tensor> baseline_fills(const at::Tensor& images, const at::Tensor& masks,
                                                 const MaeConfig& c) {
  auto means = at::empty_like(images), nearest = at::empty_like(images);
  at::parallel_for(0, images.size(0), 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const auto grid_mask = masks[i].reshape({c.grid_h(), c.grid_w()});
      means[i].copy_(mean_fill(images[i], grid_mask, c.patch));
      nearest[i].copy_(nearest_visible_fill(images[i], grid_mask, c.patch));
    }
  });
  return {means, nearest};
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
    const auto [mean_fills, nearest_fills] = baseline_fills(x, mask, c);
    mean_sum +=
        masked_error_sum(comparison_target(c, patchify(mean_fills, c.patch)), compared, mask);
    nearest_sum +=
        masked_error_sum(comparison_target(c, patchify(nearest_fills, c.patch)), compared, mask);
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
