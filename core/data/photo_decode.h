// Why: training reads each photo once and keeps it as compact 8-bit pixels at the size the
// crops need, never as full-size floats (a 12-MP photo is 144 MB of floats, 36 MB of bytes,
// and about 0.15 MB once its shorter side is capped at 192 px for a 64-px model).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "data/image_io.h"

namespace mae {

// A picture as the loader keeps it, and the size of the picture in the file: crops are
// drawn in the file's coordinates, so a shrunk copy gives the same random crops.
struct DecodedImage {
  at::Tensor pixels;  // uint8 (H, W, C), contiguous
  int64_t source_h = 0;
  int64_t source_w = 0;
};

// The shorter-side cap that keeps RandomResizedCrop faithful: its smallest crop has a
// shorter side of at least sqrt(scale_min * 3/4) of the image's, so capping the shorter side
// at k * out, k = ceil(1 / sqrt(scale_min * 3/4)), means every crop is still shrunk (never
// enlarged) to the output. scale_min 0.2 gives k = 3 (192 px for 64, 672 px for 224).
int64_t crop_faithful_short_side(int64_t out_h, int64_t out_w, double scale_min);

// Width and height from the header alone, with the limits checked. Throws ImageError.
void probe_image_size(const std::vector<uint8_t>& bytes, const ImageLimits& limits, int64_t* h,
                      int64_t* w);

// An upper bound on the pixel bytes decode_photo holds at once for these bytes (the decoded
// picture at its DCT scale and a converted copy, 4 bytes a pixel each; for a TIFF, libtiff's
// buffers too), from the header alone.
// Throws ImageError like probe_image_size.
size_t decode_peak_bytes(const std::vector<uint8_t>& bytes, int64_t short_side_cap,
                         const ImageLimits& limits = {});

// Decodes to uint8 (H, W, channels): gray to RGB by copy, RGB to gray by luminance, alpha
// over white. With short_side_cap > 0, a picture whose shorter side is larger comes back
// with that side equal to the cap: JPEG is decoded at the smallest DCT scale that covers the
// cap, then everything is resized with antialiased bicubic (as PIL does for 8-bit images).
// Throws ImageError naming the problem.
DecodedImage decode_photo(const std::vector<uint8_t>& bytes, int64_t channels,
                          int64_t short_side_cap, const ImageLimits& limits = {});
DecodedImage load_photo(const std::string& path, int64_t channels, int64_t short_side_cap,
                        const ImageLimits& limits = {});

// Whether decode_photo reads these bytes with a decoder of their format's own (JPEG, WebP, PNM,
// TIFF), rather than stb (PNG, BMP, and the refusal of everything else).
bool has_own_reader(const std::vector<uint8_t>& bytes);

// Antialiased bicubic resize of uint8 (H, W, C) so that the shorter side is `short_side`.
at::Tensor shrink_to_short_side(const at::Tensor& hwc, int64_t short_side);

// uint8 (H, W, C) to float (C, H, W) in [0, 1]; float pixels are only transposed.
at::Tensor to_unit_chw(const at::Tensor& hwc);

// Pixels laid out in their view's order, contiguous and of their own type. A copy walks its
// output in order, so a view whose rows run across memory (a photo turned a quarter by EXIF:
// each row is a column of the decoded pixels) would take each byte from another page. Such a
// view is copied a block of columns at a time: each block is gathered in memory order, then
// turned while it is still in the cache.
at::Tensor laid_out(const at::Tensor& pixels);

// uint8 pixels to contiguous float in [0, 1], dividing by 255; float pixels made contiguous. A
// strided view of bytes (a decoded picture's (C, H, W) over its interleaved pixels) is laid out
// while still bytes: converting the view first would keep its strides, and the copy that then
// made the floats contiguous doubled the peak.
at::Tensor to_unit(const at::Tensor& pixels);

}  // namespace mae
