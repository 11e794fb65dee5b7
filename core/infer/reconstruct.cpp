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

at::Tensor prediction_to_pixels(const MaeConfig& config, const at::Tensor& pred,
                                const at::Tensor& target_patches) {
  if (!config.norm_pix_loss) return pred;
  auto mean = target_patches.mean(-1, true);
  auto var = target_patches.var(-1, true, true);
  return pred * (var + 1e-6).sqrt() + mean;
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
  auto pred = prediction_to_pixels(c, out.pred.to(at::kFloat), target);
  auto mask = out.mask.unsqueeze(-1);                // (1, L, 1)
  auto per_patch = (pred - target).pow(2).mean(-1);  // (1, L)
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
