// Why: JPEGs are decoded by libjpeg-turbo at the smallest 1/8 scale that keeps the crops' detail,
// and a decode's peak memory is known before it starts, so a huge photo costs neither time nor
// memory it need not.
#include "data/photo_decode.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <tuple>
#include <utility>

#include "data/channel_convert.h"
#include "data/exif_orientation.h"
#include "data/jpeg_decoder.h"
#include "data/png_decoder.h"
#include "data/pnm_decoder.h"
#include "data/stb_backend.h"
#include "data/tiff_decoder.h"
#include "data/webp_decoder.h"

namespace mae {

namespace {

// Interleaved 8-bit pixels with `src` channels to (h, w, dst).
at::Tensor channels_tensor(const uint8_t* in, int64_t h, int64_t w, int src, int64_t dst) {
  auto out = at::empty({h, w, dst}, at::kByte);
  convert_pixel_bytes(in, src, out.data_ptr<uint8_t>(), static_cast<int>(dst), h * w);
  return out;
}

// A decoder's pixels with `channels` channels: its buffer, adopted without a copy, when it has
// them already; else converted.
at::Tensor as_channels(DecodedPixels&& decoded, int64_t channels) {
  const int64_t h = decoded.height, w = decoded.width;
  if (decoded.channels != channels)
    return channels_tensor(decoded.pixels.data(), h, w, decoded.channels, channels);
  auto owned = std::make_unique<std::vector<uint8_t>>(std::move(decoded.pixels));
  auto* data = owned->data();
  return at::from_blob(
      data, {h, w, channels}, [keep = owned.release()](void*) { delete keep; }, at::kByte);
}

// PNG and BMP, and the refusal of anything else: stb's, once our reader has declined a PNG.
DecodedImage decode_with_stb(const std::vector<uint8_t>& bytes, int64_t channels,
                             const ImageLimits& limits) {
  stb::ImageInfo info;
  std::string reason;
  if (!stb::probe(bytes.data(), bytes.size(), &info, &reason)) throw ImageError(reason);
  check_image_size(info.width, info.height, limits);
  if (auto common = png::decode_common(bytes.data(), bytes.size()))
    return {as_channels(std::move(*common), channels), info.height, info.width};
  uint8_t* raw = stb::decode_8bit(bytes.data(), bytes.size(), info, &reason);
  if (!raw) throw ImageError(reason);
  const int64_t h = info.height, w = info.width;
  at::Tensor pixels;
  if (info.channels == channels) {  // no conversion: adopt stb's buffer without a copy
    pixels = at::from_blob(
        raw, {h, w, channels}, [](void* p) { stb::free_pixels(p); }, at::kByte);
  } else {
    pixels = channels_tensor(raw, h, w, info.channels, channels);
    stb::free_pixels(raw);
  }
  return {pixels, h, w};
}

// Which decoder reads these bytes: JPEG, WebP and TIFF have libraries of their own (when this
// build has them) and PNM our reader; PNG (the common kinds to our reader first) and BMP, and
// the refusal of anything else, go to stb.
enum class Reader { Jpeg, Webp, Pnm, Tiff, Stb };

Reader reader_for(const std::vector<uint8_t>& bytes) {
  const uint8_t* data = bytes.data();
  const size_t size = bytes.size();
  if (jpeg::available() && jpeg::looks_like_jpeg(data, size)) return Reader::Jpeg;
  if (webp::available() && webp::looks_like_webp(data, size)) return Reader::Webp;
  if (pnm::looks_like_pnm(data, size)) return Reader::Pnm;
  if (tiff::available() && tiff::looks_like_tiff(data, size)) return Reader::Tiff;
  return Reader::Stb;
}

// Height and width from the header alone.
std::pair<int64_t, int64_t> header_size(Reader reader, const std::vector<uint8_t>& bytes) {
  std::string reason;
  auto size_of = [&](const auto& header) {
    if (!header) throw ImageError(reason);
    return std::pair<int64_t, int64_t>{header->height, header->width};
  };
  switch (reader) {
    case Reader::Jpeg: {
      auto header = jpeg::read_header(bytes.data(), bytes.size(), &reason);
      if (!header) throw ImageError("corrupt JPEG header (" + reason + ")");
      return {header->height, header->width};
    }
    case Reader::Webp:
      return size_of(webp::read_header(bytes.data(), bytes.size(), &reason));
    case Reader::Pnm:
      return size_of(pnm::read_header(bytes.data(), bytes.size(), &reason));
    case Reader::Tiff:
      return size_of(tiff::read_header(bytes.data(), bytes.size(), &reason));
    case Reader::Stb:
      break;
  }
  stb::ImageInfo info;
  if (!stb::probe(bytes.data(), bytes.size(), &info, &reason)) throw ImageError(reason);
  return {info.height, info.width};
}

// The whole picture (a JPEG at the smallest DCT scale that still covers the cap), its size
// checked before its pixels are decoded.
DecodedImage decode_by_reader(Reader reader, const std::vector<uint8_t>& bytes, int64_t channels,
                              int64_t short_side_cap, const ImageLimits& limits) {
  if (reader == Reader::Stb) return decode_with_stb(bytes, channels, limits);
  const auto [h, w] = header_size(reader, bytes);
  check_image_size(w, h, limits);
  std::string reason;
  auto adopt = [&](auto decoded) {
    if (!decoded) throw ImageError(reason);
    const int orientation = decoded->orientation;
    // Laid out again only for a quarter turn: a flip is made in place.
    return upright_in_place(as_channels(std::move(*decoded), channels), orientation)
        .permute({1, 2, 0})
        .contiguous();
  };
  const uint8_t* data = bytes.data();
  const size_t size = bytes.size();
  at::Tensor pixels;
  if (reader == Reader::Jpeg) {
    const int d =
        jpeg::pick_scale_denominator(static_cast<int>(w), static_cast<int>(h), short_side_cap);
    pixels = adopt(jpeg::decode(data, size, static_cast<int>(channels), d, &reason));
  } else if (reader == Reader::Webp) {
    pixels = adopt(webp::decode(data, size, &reason));
  } else if (reader == Reader::Pnm) {
    pixels = adopt(pnm::decode(data, size, &reason));
  } else {
    // libtiff's largest buffers: the RGBA raster, and a whole strip of 16-bit RGBA samples.
    const size_t cap = static_cast<size_t>(h * w) * 8 + size + (size_t{16} << 20);
    pixels = adopt(tiff::decode(data, size, cap, &reason));
  }
  return {pixels, h, w};
}

}  // namespace

at::Tensor laid_out(const at::Tensor& pixels) {
  if (pixels.dim() != 3 || pixels.stride(2) <= pixels.stride(1)) return pixels.contiguous();
  constexpr int64_t kBlockBytes = int64_t{256} << 10;
  const int64_t w = pixels.size(2);
  const int64_t column_bytes = pixels.size(0) * pixels.size(1) * pixels.element_size();
  const int64_t block = std::max<int64_t>(1, kBlockBytes / column_bytes);
  auto out = at::empty(pixels.sizes(), pixels.options());
  for (int64_t left = 0; left < w; left += block) {
    const int64_t n = std::min(block, w - left);
    out.narrow(2, left, n)
        .copy_(pixels.narrow(2, left, n).permute({2, 1, 0}).contiguous().permute({2, 1, 0}));
  }
  return out;
}

bool has_own_reader(const std::vector<uint8_t>& bytes) { return reader_for(bytes) != Reader::Stb; }

int64_t crop_faithful_short_side(int64_t out_h, int64_t out_w, double scale_min) {
  const double smallest = std::sqrt(std::clamp(scale_min, 0.01, 1.0) * 0.75);
  const auto k = static_cast<int64_t>(std::ceil(1.0 / smallest - 1e-9));
  return k * std::max(out_h, out_w);
}

void probe_image_size(const std::vector<uint8_t>& bytes, const ImageLimits& limits, int64_t* h,
                      int64_t* w) {
  if (bytes.empty()) throw ImageError("the file is empty");
  std::tie(*h, *w) = header_size(reader_for(bytes), bytes);
  check_image_size(*w, *h, limits);
}

size_t decode_peak_bytes(const std::vector<uint8_t>& bytes, int64_t short_side_cap,
                         const ImageLimits& limits) {
  int64_t h = 0, w = 0;
  probe_image_size(bytes, limits, &h, &w);
  const Reader reader = reader_for(bytes);
  const int d =
      reader == Reader::Jpeg
          ? jpeg::pick_scale_denominator(static_cast<int>(w), static_cast<int>(h), short_side_cap)
          : 1;
  // libtiff holds an RGBA raster and a strip of up to 8 bytes a pixel besides our copy.
  const size_t per_pixel = reader == Reader::Tiff ? 16 : 8;
  return static_cast<size_t>(jpeg::scaled_side(static_cast<int>(h), d)) *
         static_cast<size_t>(jpeg::scaled_side(static_cast<int>(w), d)) * per_pixel;
}

at::Tensor shrink_to_short_side(const at::Tensor& hwc, int64_t short_side) {
  const int64_t h = hwc.size(0), w = hwc.size(1);
  if (std::min(h, w) <= short_side) return hwc;
  const double scale = static_cast<double>(short_side) / static_cast<double>(std::min(h, w));
  const int64_t oh = h <= w ? short_side : std::max<int64_t>(1, std::llround(h * scale));
  const int64_t ow = w < h ? short_side : std::max<int64_t>(1, std::llround(w * scale));
  auto nchw = hwc.permute({2, 0, 1}).unsqueeze(0);  // channels-last view, no copy
  auto out = at::_upsample_bicubic2d_aa(nchw, {oh, ow}, /*align_corners=*/false);
  return out.squeeze(0).permute({1, 2, 0}).contiguous();
}

at::Tensor to_unit_chw(const at::Tensor& hwc) { return to_unit(hwc.permute({2, 0, 1})); }

at::Tensor to_unit(const at::Tensor& pixels) {
  if (pixels.scalar_type() != at::kByte) return pixels.to(at::kFloat).contiguous();
  return laid_out(pixels).to(at::kFloat).div_(255.0);
}

DecodedImage decode_photo(const std::vector<uint8_t>& bytes, int64_t channels,
                          int64_t short_side_cap, const ImageLimits& limits) {
  if (channels != 1 && channels != 3) throw ImageError("only 1 or 3 channels are supported");
  if (bytes.empty()) throw ImageError("the file is empty");
  if (bytes.size() > limits.max_bytes) throw ImageError("the file exceeds the size limit");
  DecodedImage image = decode_by_reader(reader_for(bytes), bytes, channels, short_side_cap, limits);
  if (short_side_cap > 0) image.pixels = shrink_to_short_side(image.pixels, short_side_cap);
  return image;
}

DecodedImage load_photo(const std::string& path, int64_t channels, int64_t short_side_cap,
                        const ImageLimits& limits) {
  try {
    return decode_photo(read_image_bytes(path, limits), channels, short_side_cap, limits);
  } catch (const ImageError& e) {
    const std::string what = e.what();
    if (what.find(path) != std::string::npos) throw;
    throw ImageError("'" + path + "': " + what);
  }
}

}  // namespace mae
