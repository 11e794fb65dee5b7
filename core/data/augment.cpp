// Why: crops are resized with torch's antialiased bicubic filter, which matches PIL's bicubic
// resize behind the authors' torchvision transforms; a batch's crops can also be packed into one
// buffer, so that the training device resizes them.
#include "data/augment.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

namespace mae {

at::Tensor resize_bicubic(const at::Tensor& image, int64_t out_h, int64_t out_w) {
  if (image.size(1) == out_h && image.size(2) == out_w) return image;
  auto out = at::_upsample_bicubic2d_aa(image.unsqueeze(0), {out_h, out_w},
                                        /*align_corners=*/false);
  return out.squeeze(0).clamp(0.0, 1.0);
}

CropBox sample_crop(int64_t h, int64_t w, const AugmentConfig& config, std::mt19937_64& rng) {
  const double area = static_cast<double>(h * w);
  std::uniform_real_distribution<double> scale(config.scale_min, config.scale_max);
  std::uniform_real_distribution<double> log_ratio(std::log(3.0 / 4.0), std::log(4.0 / 3.0));
  CropBox box{0, 0, h, w, false};
  bool found = false;
  for (int attempt = 0; attempt < 10 && !found; ++attempt) {
    const double target = area * scale(rng);
    const double aspect = std::exp(log_ratio(rng));
    const auto tw = static_cast<int64_t>(std::llround(std::sqrt(target * aspect)));
    const auto th = static_cast<int64_t>(std::llround(std::sqrt(target / aspect)));
    if (tw > 0 && tw <= w && th > 0 && th <= h) {
      box.top = std::uniform_int_distribution<int64_t>(0, h - th)(rng);
      box.left = std::uniform_int_distribution<int64_t>(0, w - tw)(rng);
      box.height = th;
      box.width = tw;
      found = true;
    }
  }
  if (!found) {  // center crop within the allowed aspect range
    const double in_ratio = static_cast<double>(w) / static_cast<double>(h);
    if (in_ratio < 3.0 / 4.0) {
      box.width = w;
      box.height = std::llround(static_cast<double>(w) / (3.0 / 4.0));
    } else if (in_ratio > 4.0 / 3.0) {
      box.height = h;
      box.width = std::llround(static_cast<double>(h) * (4.0 / 3.0));
    }
    box.top = (h - box.height) / 2;
    box.left = (w - box.width) / 2;
  }
  box.flip = config.hflip && std::bernoulli_distribution(0.5)(rng);
  return box;
}

namespace {

// The box in the stored picture's pixels: scaled from the source size and rounded to whole
// pixels (at most half a stored pixel per edge; the stored picture has more pixels across
// any crop than the output, so under half an output pixel).
CropBox scale_box(const CropBox& box, const DecodedImage& image) {
  const int64_t ph = image.pixels.size(0), pw = image.pixels.size(1);
  const int64_t sh = image.source_h > 0 ? image.source_h : ph;
  const int64_t sw = image.source_w > 0 ? image.source_w : pw;
  if (sh == ph && sw == pw) return box;
  const double sy = static_cast<double>(ph) / static_cast<double>(sh);
  const double sx = static_cast<double>(pw) / static_cast<double>(sw);
  CropBox out = box;
  out.top = std::clamp<int64_t>(std::llround(static_cast<double>(box.top) * sy), 0, ph - 1);
  out.left = std::clamp<int64_t>(std::llround(static_cast<double>(box.left) * sx), 0, pw - 1);
  const int64_t bottom = std::llround(static_cast<double>(box.top + box.height) * sy);
  const int64_t right = std::llround(static_cast<double>(box.left + box.width) * sx);
  out.height = std::clamp<int64_t>(bottom - out.top, 1, ph - out.top);
  out.width = std::clamp<int64_t>(right - out.left, 1, pw - out.left);
  return out;
}

bool all_8bit(const std::vector<DecodedImage>& images) {
  return std::all_of(images.begin(), images.end(), [](const DecodedImage& image) {
    return image.pixels.scalar_type() == at::kByte;
  });
}

}  // namespace

PackedCrops pack_crops(const std::vector<DecodedImage>& images, const std::vector<CropBox>& boxes,
                       bool pinned) {
  PackedCrops packed;
  packed.channels = images.empty() ? 0 : images[0].pixels.size(2);
  std::vector<at::Tensor> crops;
  int64_t total = 0;
  for (size_t i = 0; i < images.size(); ++i) {
    const auto& image = images[i];
    const CropBox b = scale_box(boxes[i], image);
    crops.push_back(image.pixels.narrow(0, b.top, b.height).narrow(1, b.left, b.width));
    packed.regions.push_back({total, b.height, b.width, boxes[i].flip});
    total += b.height * b.width * packed.channels;
  }
  packed.pixels = at::empty(
      {total}, at::TensorOptions(all_8bit(images) ? at::kByte : at::kFloat).pinned_memory(pinned));
  for (size_t i = 0; i < crops.size(); ++i) {
    const auto& r = packed.regions[i];
    auto region = packed.pixels.narrow(0, r.offset, r.height * r.width * packed.channels)
                      .view({r.height, r.width, packed.channels});
    region.copy_(crops[i]);
    if (crops[i].scalar_type() != at::kByte) region.mul_(255.0);  // float pictures are 0..1
  }
  return packed;
}

at::Tensor resize_packed_crops(const at::Tensor& pixels, int64_t channels,
                               const std::vector<CropRegion>& regions, int64_t out_h,
                               int64_t out_w) {
  const auto n = static_cast<int64_t>(regions.size());
  auto batch = at::empty({n, channels, out_h, out_w}, pixels.options().dtype(at::kFloat));
  for (int64_t i = 0; i < n; ++i) {
    const auto& r = regions[static_cast<size_t>(i)];
    // Float (1, C, h, w) in one contiguous conversion: a channels-last input would have the
    // out= resize below restride its output, which is a view of the batch.
    const auto crop =
        pixels.narrow(0, r.offset, r.height * r.width * channels)
            .view({r.height, r.width, channels})
            .permute({2, 0, 1})
            .unsqueeze(0)
            .to(at::kFloat, /*non_blocking=*/false, /*copy=*/false, at::MemoryFormat::Contiguous);
    auto out = batch.narrow(0, i, 1);
    if (r.flip)
      out.copy_(at::_upsample_bicubic2d_aa(crop, {out_h, out_w}, false).flip({3}));
    else
      at::_upsample_bicubic2d_aa_out(out, crop, {out_h, out_w}, false);
  }
  batch.clamp_(0.0, 255.0);
  if (pixels.scalar_type() == at::kByte) batch.round_();
  return batch;
}

at::Tensor crop_resize(const std::vector<DecodedImage>& images, const std::vector<CropBox>& boxes,
                       int64_t out_h, int64_t out_w, at::Device device) {
  if (!all_8bit(images) || !device.is_cpu()) {  // float arithmetic, on the device
    const auto packed = pack_crops(images, boxes, /*pinned=*/false);
    return resize_packed_crops(packed.pixels.to(device), packed.channels, packed.regions, out_h,
                               out_w);
  }
  // 8-bit pictures on the CPU: resized in 8 bits, as PIL does, into one uint8 batch.
  const auto n = static_cast<int64_t>(images.size());
  const int64_t channels = n > 0 ? images[0].pixels.size(2) : 0;
  auto batch = at::empty({n, channels, out_h, out_w}, at::kByte);
  std::vector<int64_t> flipped;
  for (int64_t i = 0; i < n; ++i) {
    const auto& image = images[static_cast<size_t>(i)];
    const CropBox b = scale_box(boxes[static_cast<size_t>(i)], image);
    // (1, C, h, w) as a channels-last view of the (h, w, C) crop: no copy.
    auto nchw = image.pixels.narrow(0, b.top, b.height)
                    .narrow(1, b.left, b.width)
                    .permute({2, 0, 1})
                    .unsqueeze(0);
    batch[i].copy_(at::_upsample_bicubic2d_aa(nchw, {out_h, out_w}, false).squeeze(0));
    if (boxes[static_cast<size_t>(i)].flip) flipped.push_back(i);
  }
  if (!flipped.empty()) {
    auto idx = at::tensor(flipped, at::kLong);
    batch.index_copy_(0, idx, batch.index_select(0, idx).flip({3}));
  }
  return batch;
}

at::Tensor random_resized_crop(const at::Tensor& image, const AugmentConfig& config,
                               std::mt19937_64& rng) {
  const CropBox box = sample_crop(image.size(1), image.size(2), config, rng);
  auto out = resize_bicubic(image.narrow(1, box.top, box.height).narrow(2, box.left, box.width),
                            config.out_h, config.out_w);
  if (box.flip) out = out.flip({2});
  return out.contiguous();
}

std::pair<int64_t, int64_t> covering_size(int64_t h, int64_t w, int64_t out_h, int64_t out_w) {
  const double scale = std::max(static_cast<double>(out_h) / static_cast<double>(h),
                                static_cast<double>(out_w) / static_cast<double>(w));
  return {std::max(out_h, static_cast<int64_t>(std::llround(h * scale))),
          std::max(out_w, static_cast<int64_t>(std::llround(w * scale)))};
}

std::optional<CropBox> kept_part_of_oversized_cover(int64_t h, int64_t w, int64_t out_h,
                                                    int64_t out_w) {
  constexpr int64_t kMostCoverPixels = int64_t{16} << 20;
  const auto [rh, rw] = covering_size(h, w, out_h, out_w);
  if (rh <= kMostCoverPixels / rw) return std::nullopt;
  // The crop's edges in the cover, mapped back to the picture and widened to whole pixels.
  auto span = [](int64_t size, int64_t cover, int64_t out) {
    const double per_cover_pixel = static_cast<double>(size) / static_cast<double>(cover);
    const auto first =
        static_cast<int64_t>(std::floor(static_cast<double>((cover - out) / 2) * per_cover_pixel));
    const auto end = static_cast<int64_t>(
        std::ceil(static_cast<double>((cover - out) / 2 + out) * per_cover_pixel));
    const int64_t start = std::clamp<int64_t>(first, 0, size - 1);
    return std::pair{start, std::clamp<int64_t>(end, start + 1, size) - start};
  };
  const auto [top, height] = span(h, rh, out_h);
  const auto [left, width] = span(w, rw, out_w);
  return CropBox{top, left, height, width, false};
}

at::Tensor centre_crop(const at::Tensor& image, int64_t out_h, int64_t out_w) {
  const int64_t h = image.size(1), w = image.size(2);
  return image.narrow(1, (h - out_h) / 2, out_h).narrow(2, (w - out_w) / 2, out_w).contiguous();
}

at::Tensor resize_center_crop(const at::Tensor& image, int64_t out_h, int64_t out_w) {
  const int64_t h = image.size(1), w = image.size(2);
  if (h == out_h && w == out_w) return image;
  if (const auto kept = kept_part_of_oversized_cover(h, w, out_h, out_w))
    return resize_bicubic(
               image.narrow(1, kept->top, kept->height).narrow(2, kept->left, kept->width), out_h,
               out_w)
        .contiguous();
  const auto [rh, rw] = covering_size(h, w, out_h, out_w);
  return centre_crop(resize_bicubic(image, rh, rw), out_h, out_w);
}

namespace {
at::Tensor channel_view(const std::vector<double>& values, const at::Tensor& like) {
  // Without waiting on a GPU: a blocking copy from pageable memory would wait for everything
  // queued on the stream before it (the training step a batch is normalized behind).
  auto t = at::tensor(values, at::kDouble).to(like.scalar_type()).to(like.device(), true);
  std::vector<int64_t> shape(static_cast<size_t>(like.dim()), 1);
  shape[static_cast<size_t>(like.dim() - 3)] = static_cast<int64_t>(values.size());
  return t.view(shape);
}
}  // namespace

at::Tensor normalize(const at::Tensor& images, const std::vector<double>& mean,
                     const std::vector<double>& std) {
  return (images - channel_view(mean, images)) / channel_view(std, images);
}

at::Tensor normalize_pixels(const at::Tensor& pixels, const std::vector<double>& mean,
                            const std::vector<double>& std) {
  // The pixels' layout kept, as a copy with .to(float) kept it.
  return normalize_pixels_into(at::empty_like(pixels, pixels.options().dtype(at::kFloat)), pixels,
                               mean, std);
}

at::Tensor normalize_pixels_into(const at::Tensor& out, const at::Tensor& pixels,
                                 const std::vector<double>& mean, const std::vector<double>& std) {
  // In place in `out`, even for float pixels: the caller's tensor is not divided.
  out.copy_(pixels).div_(255.0);
  return out.sub_(channel_view(mean, out)).div_(channel_view(std, out));
}

at::Tensor denormalize(const at::Tensor& images, const std::vector<double>& mean,
                       const std::vector<double>& std) {
  return images * channel_view(std, images) + channel_view(mean, images);
}

}  // namespace mae
