// Why: see augment.h.
#include "data/augment.h"

#include <ATen/ATen.h>

#include <cmath>

namespace mae {

at::Tensor resize_bicubic(const at::Tensor& image, int64_t out_h, int64_t out_w) {
  if (image.size(1) == out_h && image.size(2) == out_w) return image;
  auto out = at::_upsample_bicubic2d_aa(image.unsqueeze(0), {out_h, out_w},
                                        /*align_corners=*/false);
  return out.squeeze(0).clamp(0.0, 1.0);
}

at::Tensor random_resized_crop(const at::Tensor& image, const AugmentConfig& config,
                               std::mt19937_64& rng) {
  const int64_t h = image.size(1), w = image.size(2);
  const double area = static_cast<double>(h * w);
  std::uniform_real_distribution<double> scale(config.scale_min, config.scale_max);
  std::uniform_real_distribution<double> log_ratio(std::log(3.0 / 4.0), std::log(4.0 / 3.0));
  int64_t top = 0, left = 0, ch = h, cw = w;
  bool found = false;
  for (int attempt = 0; attempt < 10 && !found; ++attempt) {
    const double target = area * scale(rng);
    const double aspect = std::exp(log_ratio(rng));
    const auto tw = static_cast<int64_t>(std::llround(std::sqrt(target * aspect)));
    const auto th = static_cast<int64_t>(std::llround(std::sqrt(target / aspect)));
    if (tw > 0 && tw <= w && th > 0 && th <= h) {
      top = std::uniform_int_distribution<int64_t>(0, h - th)(rng);
      left = std::uniform_int_distribution<int64_t>(0, w - tw)(rng);
      ch = th;
      cw = tw;
      found = true;
    }
  }
  if (!found) {  // center crop within the allowed aspect range
    const double in_ratio = static_cast<double>(w) / static_cast<double>(h);
    if (in_ratio < 3.0 / 4.0) {
      cw = w;
      ch = std::llround(static_cast<double>(cw) / (3.0 / 4.0));
    } else if (in_ratio > 4.0 / 3.0) {
      ch = h;
      cw = std::llround(static_cast<double>(ch) * (4.0 / 3.0));
    }
    top = (h - ch) / 2;
    left = (w - cw) / 2;
  }
  auto out =
      resize_bicubic(image.narrow(1, top, ch).narrow(2, left, cw), config.out_h, config.out_w);
  if (config.hflip && std::bernoulli_distribution(0.5)(rng)) out = out.flip({2});
  return out.contiguous();
}

at::Tensor resize_center_crop(const at::Tensor& image, int64_t out_h, int64_t out_w) {
  const int64_t h = image.size(1), w = image.size(2);
  if (h == out_h && w == out_w) return image;
  const double scale = std::max(static_cast<double>(out_h) / static_cast<double>(h),
                                static_cast<double>(out_w) / static_cast<double>(w));
  const int64_t rh = std::max(out_h, static_cast<int64_t>(std::llround(h * scale)));
  const int64_t rw = std::max(out_w, static_cast<int64_t>(std::llround(w * scale)));
  auto resized = resize_bicubic(image, rh, rw);
  return resized.narrow(1, (rh - out_h) / 2, out_h).narrow(2, (rw - out_w) / 2, out_w).contiguous();
}

namespace {
at::Tensor channel_view(const std::vector<double>& values, const at::Tensor& like) {
  auto t = at::tensor(values, at::kDouble).to(like.device(), like.scalar_type());
  std::vector<int64_t> shape(static_cast<size_t>(like.dim()), 1);
  shape[static_cast<size_t>(like.dim() - 3)] = static_cast<int64_t>(values.size());
  return t.view(shape);
}
}  // namespace

at::Tensor normalize(const at::Tensor& images, const std::vector<double>& mean,
                     const std::vector<double>& std) {
  return (images - channel_view(mean, images)) / channel_view(std, images);
}

at::Tensor denormalize(const at::Tensor& images, const std::vector<double>& mean,
                       const std::vector<double>& std) {
  return images * channel_view(std, images) + channel_view(mean, images);
}

}  // namespace mae
