// Why: an 8-bit picture is resized in 8 bits, as PIL resizes the photos behind the authors'
// torchvision transforms and as training resizes its crops here: within one level of PIL,
// where resizing floats gave up to five, and torch's 8-bit kernel is far faster on a large
// photo. Torch's antialiased resize is separable, the width first (row by row) and then the
// height, each pass skipped where that side keeps its size; so the width pass, run on bands
// of rows, and the height pass after it give what one call over the whole picture gives.
#include "data/picture_fit.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>

#include "data/augment.h"
#include "data/channel_convert.h"
#include "data/dataset.h"
#include "data/image_io.h"
#include "data/photo_decode.h"

namespace mae {

namespace {

constexpr int64_t kBandSamples = int64_t{8} << 20;

at::Tensor resized(const at::Tensor& chw, int64_t h, int64_t w) {
  return at::_upsample_bicubic2d_aa(chw.unsqueeze(0), {h, w}, /*align_corners=*/false).squeeze(0);
}

// (3, n, W) bytes as (1, n, W) gray bytes, made as the decoders make a gray picture (and as
// fast: on every pixel of a 96-MP photo, torch's integer ops took most of a second).
at::Tensor gray_bytes(const at::Tensor& rgb) {
  const auto interleaved = rgb.permute({1, 2, 0}).contiguous();  // an upright photo's already is
  auto gray = at::empty({1, rgb.size(1), rgb.size(2)}, rgb.options());
  convert_pixel_bytes(interleaved.const_data_ptr<uint8_t>(), 3, gray.mutable_data_ptr<uint8_t>(), 1,
                      rgb.size(1) * rgb.size(2));
  return gray;
}

// The picture in the model's channels, resized to cover (out_h, out_w) and centre-cropped,
// in the picture's own type: bytes stay bytes. `model_samples` turns rows of the picture
// into `channels` channels; the width pass runs on bands of them.
template <typename ModelSamples>
at::Tensor fitted_samples(const at::Tensor& picture, const ModelSamples& model_samples,
                          int64_t channels, int64_t out_h, int64_t out_w, int64_t band_rows) {
  const int64_t h = picture.size(1), w = picture.size(2);
  if (h == out_h && w == out_w) return model_samples(picture);
  if (const auto kept = kept_part_of_oversized_cover(h, w, out_h, out_w))
    return resized(
        model_samples(
            picture.narrow(1, kept->top, kept->height).narrow(2, kept->left, kept->width)),
        out_h, out_w);
  const auto [rh, rw] = covering_size(h, w, out_h, out_w);
  at::Tensor narrowed;
  if (rw == w) {
    narrowed = model_samples(picture);  // at most the covering width's samples
  } else {
    narrowed = at::empty({channels, h, rw}, picture.options());
    const int64_t rows =
        band_rows > 0 ? band_rows : std::max<int64_t>(1, kBandSamples / (picture.size(0) * w));
    for (int64_t top = 0; top < h; top += rows) {
      const int64_t n = std::min(rows, h - top);
      narrowed.narrow(1, top, n).copy_(resized(model_samples(picture.narrow(1, top, n)), n, rw));
    }
  }
  return centre_crop(rh == h ? narrowed : resized(narrowed, rh, rw), out_h, out_w);
}

}  // namespace

at::Tensor fit_picture(const at::Tensor& picture, int64_t channels, int64_t out_h, int64_t out_w,
                       int64_t band_rows) {
  if (picture.scalar_type() == at::kByte) {
    const bool to_gray = picture.size(0) == 3 && channels == 1;
    const int64_t kept = to_gray ? 1 : picture.size(0);
    auto model_bytes = [&](const at::Tensor& rows) {
      // The resize reads an upright photo's interleaved bytes as they are; a turned one's
      // rows are laid out first.
      const auto bytes = rows.stride(2) > rows.stride(1) ? laid_out(rows) : rows;
      return to_gray ? gray_bytes(bytes) : bytes;
    };
    const auto fitted = fitted_samples(picture, model_bytes, kept, out_h, out_w, band_rows);
    return convert_channels(fitted.to(at::kFloat).div_(255.0), channels).contiguous();
  }
  auto model_floats = [&](const at::Tensor& rows) {
    return convert_channels(to_unit(rows), channels);
  };
  const int64_t h = picture.size(1), w = picture.size(2);
  const auto fitted = fitted_samples(picture, model_floats, channels, out_h, out_w, band_rows);
  // Floats are clamped once, after both passes, as resize_bicubic clamps them, and not at all
  // when nothing was resized.
  return h == out_h && w == out_w ? fitted : fitted.clamp(0.0, 1.0);
}

FittedItems fit_items(const Dataset& dataset, const std::vector<int64_t>& indices, int64_t channels,
                      int64_t out_h, int64_t out_w) {
  // A picture at a time on each intra-op thread, the next one to whichever is free: a photo
  // folder's large JPEGs were decoded on one core while the others waited, and pictures differ
  // too much in size to be split evenly ahead. The folder's decode budget bounds the memory.
  const auto n = static_cast<int64_t>(indices.size());
  std::vector<at::Tensor> fitted(indices.size());
  std::vector<std::string> problems(indices.size());
  std::atomic<size_t> next{0};
  at::parallel_for(0, std::min<int64_t>(n, at::get_num_threads()), 1, [&](int64_t, int64_t) {
    for (size_t k = next++; k < indices.size(); k = next++) {
      try {
        fitted[k] = fit_picture(dataset.load_decoded(indices[k]), channels, out_h, out_w);
      } catch (const ImageError& e) {
        problems[k] = e.what();  // a folder's errors name the file
      }
    }
  });
  FittedItems items;
  std::vector<at::Tensor> images;
  for (size_t k = 0; k < indices.size(); ++k) {
    if (fitted[k].defined()) {
      images.push_back(fitted[k]);
      items.kept.push_back(indices[k]);
    } else {
      items.unreadable.push_back(std::move(problems[k]));
    }
  }
  items.images = images.empty() ? at::zeros({0, channels, out_h, out_w}) : at::stack(images);
  return items;
}

}  // namespace mae
