// Why: the work is queued on the model's device with nothing read back until asked, so the
// inference worker never stalls a GPU stream; under norm_pix, hidden patches are shown with
// statistics from visible patches only, so a view does not leak what it hides.
#include "infer/reconstruct.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/utils.h>

#include <limits>
#include <vector>

#include "data/augment.h"
#include "data/batch_loader.h"
#include "data/picture_fit.h"
#include "model/patchify.h"

namespace mae {

bool mask_fits(const MaeConfig& config, const at::Tensor& mask) {
  if (mask.dim() == 1) return mask.size(0) == config.num_patches();
  return mask.dim() == 2 && mask.size(0) == config.grid_h() && mask.size(1) == config.grid_w();
}

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
// visible patches' values: what can be known without the hidden pixels. Computed on the
// patches' device with nothing read back (an (N, L, L) table of grid distances).
std::pair<at::Tensor, at::Tensor> visible_patch_stats(const MaeConfig& config,
                                                      const at::Tensor& target_patches,
                                                      const at::Tensor& mask) {
  const auto mean = target_patches.mean(-1, true).to(at::kFloat);
  const auto std = (target_patches.var(-1, true, true) + 1e-6).sqrt().to(at::kFloat);
  const int64_t l = mask.size(1);
  const auto cells = at::arange(l, mask.options().dtype(at::kLong));
  const auto row = cells.div(config.grid_w(), "floor"), col = cells.remainder(config.grid_w());
  const auto dy = row.unsqueeze(1) - row.unsqueeze(0), dx = col.unsqueeze(1) - col.unsqueeze(0);
  const auto distance = (dy * dy + dx * dx).unsqueeze(0);             // (1, L, L)
  const auto visible = (mask < 0.5).unsqueeze(1);                     // (N, 1, L): j visible
  const auto to_visible = distance.masked_fill(~visible, 4 * l * l);  // beyond any real distance
  const auto nearest = (to_visible == to_visible.amin(-1, true)).logical_and(visible);
  const auto weights = nearest.to(at::kDouble);  // (N, L, L)
  const auto count = weights.sum(-1, true);      // (N, L, 1)
  const auto some = count > 0;
  // No visible patch at all: the normalized image's expected mean 0 and std 1.
  const auto near_mean =
      at::where(some, weights.bmm(mean.to(at::kDouble)) / count.clamp_min(1), 0.0).to(at::kFloat);
  const auto near_std =
      at::where(some, weights.bmm(std.to(at::kDouble)) / count.clamp_min(1), 1.0).to(at::kFloat);
  const auto removed = (mask >= 0.5).unsqueeze(-1);  // (N, L, 1)
  return {at::where(removed, near_mean, mean), at::where(removed, near_std, std)};
}

}  // namespace

at::Tensor prediction_to_pixels(const MaeConfig& config, const at::Tensor& pred,
                                const at::Tensor& target_patches, const at::Tensor& mask) {
  if (!config.norm_pix_loss) return pred;
  auto [mean, std] = visible_patch_stats(config, target_patches, mask);
  return pred * std + mean;
}

namespace {

struct DeviceErrors {
  at::Tensor masked_mse, removed_pixel_mse;  // device scalars
};

// reconstruct()'s work, queued on the model's device with nothing read back; the two MSEs as
// device scalars.
std::pair<Reconstruction, DeviceErrors> reconstruct_on_device(MaeModel& model,
                                                              const at::Tensor& image,
                                                              const MaskRequest& request) {
  torch::NoGradGuard no_grad;
  const auto& c = model->config();
  const auto device = model->cls_token.device();
  Reconstruction r;
  r.original = fit_picture(image, c.in_chans, c.img_h, c.img_w);
  // Copies that do not wait for the device: on a GPU a training step may be queued ahead.
  auto x = normalize(r.original, c.mean, c.std).unsqueeze(0).to(device, /*non_blocking=*/true);
  int64_t len_keep = 0;
  auto noise = request_noise(c, request, &len_keep).to(device, /*non_blocking=*/true);
  auto out = model->forward(x, noise, len_keep);
  auto target = patchify(x, c.patch);
  auto raw = out.pred.to(at::kFloat);
  auto pred = prediction_to_pixels(c, raw, target, out.mask);
  auto mask = out.mask.unsqueeze(-1);                                     // (1, L, 1)
  auto per_patch = (raw - comparison_target(c, target)).pow(2).mean(-1);  // (1, L)
  r.patch_error = per_patch.reshape({c.grid_h(), c.grid_w()});
  r.mask = out.mask.reshape({c.grid_h(), c.grid_w()});
  r.masked_mse = r.removed_pixel_mse = std::numeric_limits<double>::quiet_NaN();
  auto unpatched = [&](const at::Tensor& patches) {
    return unpatchify(patches, c.patch, c.grid_h(), c.grid_w(), c.in_chans).squeeze(0);
  };
  auto to_image = [&](const at::Tensor& patches) {
    return denormalize(unpatched(patches), c.mean, c.std).clamp(0.0, 1.0);
  };
  r.masked = to_image(target * (1 - mask));
  r.reconstruction = to_image(pred);
  // Chosen, not blended: a NaN prediction (weights with NaN) must not blank the visible patches.
  r.pasted = to_image(at::where(mask > 0.5, pred, target));
  const auto removed_pixels = unpatched(mask.expand_as(target));
  const auto pixel_errors = (r.reconstruction - to_image(target)).pow(2) * removed_pixels;
  return {r,
          {(per_patch * out.mask).sum() / out.mask.sum().clamp_min(1.0),
           pixel_errors.sum() / removed_pixels.sum().clamp_min(1.0)}};
}

}  // namespace

Reconstruction reconstruct(MaeModel& model, const at::Tensor& image, const MaskRequest& request) {
  auto [r, errors] = reconstruct_on_device(model, image, request);
  // One copy back rather than one per tensor: on a GPU each copy waits for the device.
  const std::vector<at::Tensor*> parts = {&r.masked, &r.reconstruction, &r.pasted, &r.mask,
                                          &r.patch_error};
  std::vector<at::Tensor> flat;
  for (const auto* t : parts) flat.push_back(t->to(at::kFloat).reshape(-1));
  flat.push_back(errors.masked_mse.to(at::kFloat).reshape(1));
  flat.push_back(errors.removed_pixel_mse.to(at::kFloat).reshape(1));
  const auto host = at::cat(flat).cpu();
  int64_t offset = 0;
  for (auto* t : parts) {
    *t = host.narrow(0, offset, t->numel()).view(t->sizes());
    offset += t->numel();
  }
  r.masked_mse = host[offset].item<double>();
  r.removed_pixel_mse = host[offset + 1].item<double>();
  return r;
}

Reconstruction reconstruct_queued(MaeModel& model, const at::Tensor& image,
                                  const MaskRequest& request) {
  return reconstruct_on_device(model, image, request).first;
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
