// Why: sizes are read from the file's header and checked against the limits before anything
// decodes (stb refuses large images without a reason), and every picture becomes planar, with
// alpha over white: floats, the one form the model takes, or the bytes for a picture kept open.
#include "data/image_io.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "data/exif_orientation.h"
#include "data/photo_decode.h"
#include "data/stb_backend.h"
#include "util/atomic_file.h"
#include "util/file_bytes.h"

namespace mae {

namespace {

// Interleaved pixels with `src` channels -> planar (dst, H, W) with alpha composited on white.
at::Tensor to_planar(const std::vector<float>& hwc, int64_t h, int64_t w, int src, int64_t dst) {
  auto t = at::from_blob(const_cast<float*>(hwc.data()), {h, w, src}, at::kFloat).clone();
  at::Tensor color;
  if (src == 2 || src == 4) {
    auto alpha = t.narrow(2, src - 1, 1);
    color = t.narrow(2, 0, src - 1) * alpha + (1.0 - alpha);
  } else {
    color = t;
  }
  return convert_channels(color.permute({2, 0, 1}).contiguous(), dst);
}

// stb refuses very large images without saying why, so a PNG's size is read from its
// IHDR chunk first (width and height are bytes 16..23, big-endian).
void check_png_header_size(const std::vector<uint8_t>& bytes, const ImageLimits& limits) {
  static const uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (bytes.size() < 24 || !std::equal(kSignature, kSignature + 8, bytes.begin())) return;
  auto be32 = [&](size_t at) {
    return (int64_t{bytes[at]} << 24) | (int64_t{bytes[at + 1]} << 16) |
           (int64_t{bytes[at + 2]} << 8) | int64_t{bytes[at + 3]};
  };
  check_image_size(be32(16), be32(20), limits);
}

}  // namespace

std::vector<uint8_t> read_image_bytes(const std::string& path, const ImageLimits& limits) {
  try {
    return read_file_bytes(path, limits.max_bytes);
  } catch (const FileError& e) {
    throw ImageError(e.what());
  }
}

at::Tensor decode_image(const std::vector<uint8_t>& bytes, int64_t channels,
                        const ImageLimits& limits) {
  return to_unit(decode_picture(bytes, channels, limits));
}

at::Tensor decode_picture(const std::vector<uint8_t>& bytes, int64_t channels,
                          const ImageLimits& limits) {
  if (channels != 1 && channels != 3) throw ImageError("only 1 or 3 channels are supported");
  if (bytes.empty()) throw ImageError("the file is empty");
  if (bytes.size() > limits.max_bytes) throw ImageError("the file exceeds the size limit");
  check_png_header_size(bytes, limits);
  // A 16-bit PNG keeps its precision through stb's float decode.
  if (!has_own_reader(bytes)) {
    stb::ImageInfo info;
    std::string reason;
    if (!stb::probe(bytes.data(), bytes.size(), &info, &reason)) throw ImageError(reason);
    if (info.sixteen_bit) {
      check_image_size(info.width, info.height, limits);
      std::vector<float> pixels;
      if (!stb::decode(bytes.data(), bytes.size(), info, &pixels, &reason))
        throw ImageError(reason);
      return to_planar(pixels, info.height, info.width, info.channels, channels);
    }
  }
  // Every 8-bit picture through the bytes training decodes (so the explorer shows the model
  // what training feeds it): full size here, and a JPEG upright (the others read as
  // orientation 1).
  return upright_in_place(decode_photo(bytes, channels, 0, limits).pixels,
                          jpeg_exif_orientation(bytes.data(), bytes.size()));
}

void check_image_size(int64_t w, int64_t h, const ImageLimits& limits) {
  const std::string size = "image is " + std::to_string(w) + "x" + std::to_string(h);
  if (w <= 0 || h <= 0) throw ImageError(size + ": it has no pixels");
  if (w > limits.max_side || h > limits.max_side)
    throw ImageError(size + ", beyond the limit of " + std::to_string(limits.max_side) +
                     " px per side");
  if (w * h > limits.max_pixels) {
    auto megapixels = [](int64_t pixels) {
      char text[32];
      std::snprintf(text, sizeof text, "%.1f MP", static_cast<double>(pixels) / 1e6);
      return std::string(text);
    };
    throw ImageError(size + " (" + megapixels(w * h) + "), beyond the limit of " +
                     megapixels(limits.max_pixels));
  }
}

at::Tensor load_image(const std::string& path, int64_t channels, const ImageLimits& limits) {
  return to_unit(load_picture(path, channels, limits));
}

at::Tensor load_picture(const std::string& path, int64_t channels, const ImageLimits& limits) {
  try {
    return decode_picture(read_image_bytes(path, limits), channels, limits);
  } catch (const ImageError& e) {
    const std::string what = e.what();
    if (what.find(path) != std::string::npos) throw;
    throw ImageError("'" + path + "': " + what);
  }
}

at::Tensor convert_channels(const at::Tensor& image, int64_t channels) {
  const int64_t have = image.size(0);
  if (have == channels) return image;
  if (have == 3 && channels == 1) {
    auto weights = at::tensor({0.299f, 0.587f, 0.114f}).view({3, 1, 1}).to(image.dtype());
    return (image * weights).sum(0, /*keepdim=*/true);
  }
  if (have == 1 && channels == 3)
    return image.expand({3, image.size(1), image.size(2)}).contiguous();
  throw ImageError("cannot convert a " + std::to_string(have) + "-channel image to " +
                   std::to_string(channels) + " channels");
}

void save_png(const std::string& path, const at::Tensor& image) {
  if (image.dim() != 3 || (image.size(0) != 1 && image.size(0) != 3))
    throw ImageError("save_png expects a (1 or 3, H, W) tensor");
  auto bytes = image.detach()
                   .to(at::kCPU, at::kFloat)
                   .clamp(0.0, 1.0)
                   .mul(255.0)
                   .round()
                   .to(at::kByte)
                   .permute({1, 2, 0})
                   .contiguous();
  auto png = stb::encode_png(bytes.data_ptr<uint8_t>(), static_cast<int>(image.size(2)),
                             static_cast<int>(image.size(1)), static_cast<int>(image.size(0)));
  if (png.empty()) throw ImageError("PNG encoding failed");
  write_file_atomically(path, [&](std::FILE* f) { write_all(f, png.data(), png.size()); });
}

}  // namespace mae
