// Why: torch's antialiased resize is separable, the width first (row by row) and then the
// height, each pass skipped where that side keeps its size; so the width pass, run on bands of
// rows, and the height pass after it give what one call over the whole picture gives.
#include "data/picture_fit.h"

#include <ATen/ATen.h>

#include <algorithm>

#include "data/augment.h"
#include "data/image_io.h"
#include "data/photo_decode.h"

namespace mae {

namespace {

constexpr int64_t kBandFloats = int64_t{8} << 20;

at::Tensor resized(const at::Tensor& chw, int64_t h, int64_t w) {
  return at::_upsample_bicubic2d_aa(chw.unsqueeze(0), {h, w}, /*align_corners=*/false).squeeze(0);
}

}  // namespace

at::Tensor fit_picture(const at::Tensor& picture, int64_t channels, int64_t out_h, int64_t out_w,
                       int64_t band_rows) {
  const int64_t h = picture.size(1), w = picture.size(2);
  auto model_floats = [&](const at::Tensor& rows) {
    return convert_channels(to_unit(rows), channels);
  };
  if (h == out_h && w == out_w) return model_floats(picture);
  if (const auto kept = kept_part_of_oversized_cover(h, w, out_h, out_w))
    return resize_bicubic(
               model_floats(
                   picture.narrow(1, kept->top, kept->height).narrow(2, kept->left, kept->width)),
               out_h, out_w)
        .contiguous();
  const auto [rh, rw] = covering_size(h, w, out_h, out_w);
  at::Tensor narrowed;
  if (rw == w) {
    narrowed = model_floats(picture);  // at most the covering width's floats
  } else {
    narrowed = at::empty({channels, h, rw}, at::kFloat);
    const int64_t rows =
        band_rows > 0 ? band_rows : std::max<int64_t>(1, kBandFloats / (picture.size(0) * w));
    for (int64_t top = 0; top < h; top += rows) {
      const int64_t n = std::min(rows, h - top);
      narrowed.narrow(1, top, n).copy_(resized(model_floats(picture.narrow(1, top, n)), n, rw));
    }
  }
  // resize_bicubic clamps once, after both passes, and not at all when nothing was resized.
  const auto covering = rh == h ? narrowed : resized(narrowed, rh, rw);
  return centre_crop(rh == h && rw == w ? covering : covering.clamp(0.0, 1.0), out_h, out_w);
}

}  // namespace mae
