// Why: see reconstruct.h.
#include "infer/reconstruct.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/utils.h>

#include "data/augment.h"
#include "data/batch_loader.h"
#include "model/patchify.h"

namespace mae {

at::Tensor request_noise(const MaeConfig& config, const MaskRequest& request, int64_t* len_keep) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(mix_seed(request.seed, 0x696e6672ULL));
  if (request.mask) {
    auto m = request.mask->reshape({1, config.num_patches()});
    return noise_from_mask(m, gen, len_keep);
  }
  *len_keep = keep_count(config.num_patches(), request.ratio);
  return strategy_noise(request.strategy, 1, config.grid_h(), config.grid_w(), request.ratio, gen);
}

std::string error_space(const MaeConfig& config) {
  return config.norm_pix_loss ? "per-patch normalized pixels (norm_pix)" : "normalized pixels";
}

at::Tensor normalize_patches(const at::Tensor& patches) {
  auto mean = patches.mean(-1, true);
  auto var = patches.var(-1, true, true);
  return (patches - mean) / (var + 1e-6).sqrt();
}

at::Tensor comparison_target(const MaeConfig& config, const at::Tensor& target_patches) {
  return config.norm_pix_loss ? normalize_patches(target_patches) : target_patches;
}

namespace {

// Per-patch (N, L, 1) mean and std where removed patches take the average of their nearest
// visible patches' values: what can be known without the hidden pixels.
std::pair<at::Tensor, at::Tensor> visible_patch_stats(const MaeConfig& config,
                                                      const at::Tensor& target_patches,
                                                      const at::Tensor& mask) {
  auto mean = target_patches.mean(-1, true).to(at::kCPU, at::kFloat).contiguous();
  auto std =
      (target_patches.var(-1, true, true) + 1e-6).sqrt().to(at::kCPU, at::kFloat).contiguous();
  auto removed = mask.to(at::kCPU, at::kFloat).contiguous();
  const int64_t n = removed.size(0), gw = config.grid_w(), l = removed.size(1);
  auto m = mean.accessor<float, 3>();
  auto s = std.accessor<float, 3>();
  auto r = removed.accessor<float, 2>();
  auto out_mean = mean.clone(), out_std = std.clone();
  auto om = out_mean.accessor<float, 3>();
  auto os = out_std.accessor<float, 3>();
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t i = 0; i < l; ++i) {
      if (r[b][i] < 0.5f) continue;
      int64_t best = -1, count = 0;
      double sum_mean = 0, sum_std = 0;
      for (int64_t j = 0; j < l; ++j) {
        if (r[b][j] >= 0.5f) continue;
        const int64_t dy = i / gw - j / gw, dx = i % gw - j % gw, d = dy * dy + dx * dx;
        if (best >= 0 && d > best) continue;
        if (d != best) sum_mean = sum_std = 0, count = 0, best = d;
        sum_mean += m[b][j][0];
        sum_std += s[b][j][0];
        ++count;
      }
      // No visible patch at all: the normalized image's expected mean 0 and std 1.
      om[b][i][0] = count > 0 ? static_cast<float>(sum_mean / static_cast<double>(count)) : 0.0f;
      os[b][i][0] = count > 0 ? static_cast<float>(sum_std / static_cast<double>(count)) : 1.0f;
    }
  }
  return {out_mean.to(target_patches.device()), out_std.to(target_patches.device())};
}

}  // namespace

at::Tensor prediction_to_pixels(const MaeConfig& config, const at::Tensor& pred,
                                const at::Tensor& target_patches, const at::Tensor& mask) {
  if (!config.norm_pix_loss) return pred;
  auto [mean, std] = visible_patch_stats(config, target_patches, mask);
  return pred * std + mean;
}

Reconstruction reconstruct(MaeModel& model, const at::Tensor& image, const MaskRequest& request) {
  torch::NoGradGuard no_grad;
  const auto& c = model->config();
  const auto device = model->cls_token.device();
  Reconstruction r;
  r.original = resize_center_crop(image.to(at::kFloat), c.img_h, c.img_w);
  auto x = normalize(r.original, c.mean, c.std).unsqueeze(0).to(device);
  int64_t len_keep = 0;
  auto noise = request_noise(c, request, &len_keep);
  auto out = model->forward(x, noise, len_keep);
  auto target = patchify(x, c.patch);
  auto raw = out.pred.to(at::kFloat);
  auto pred = prediction_to_pixels(c, raw, target, out.mask);
  auto mask = out.mask.unsqueeze(-1);                                     // (1, L, 1)
  auto per_patch = (raw - comparison_target(c, target)).pow(2).mean(-1);  // (1, L)
  r.patch_error = per_patch.reshape({c.grid_h(), c.grid_w()}).cpu();
  r.mask = out.mask.reshape({c.grid_h(), c.grid_w()}).cpu();
  r.masked_mse = ((per_patch * out.mask).sum() / out.mask.sum().clamp_min(1.0)).item<double>();
  auto to_image = [&](const at::Tensor& patches) {
    auto img = unpatchify(patches, c.patch, c.grid_h(), c.grid_w(), c.in_chans);
    return denormalize(img, c.mean, c.std).squeeze(0).clamp(0.0, 1.0).cpu();
  };
  r.masked = to_image(target * (1 - mask));
  r.reconstruction = to_image(pred);
  r.pasted = to_image(target * (1 - mask) + pred * mask);
  return r;
}

at::Tensor make_strip(const std::vector<at::Tensor>& panels, int64_t gap) {
  std::vector<at::Tensor> parts;
  for (size_t i = 0; i < panels.size(); ++i) {
    if (i > 0) parts.push_back(at::ones({panels[i].size(0), panels[i].size(1), gap}));
    parts.push_back(panels[i]);
  }
  return at::cat(parts, 2);
}

}  // namespace mae
