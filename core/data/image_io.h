// Why: safe image reading and writing for the whole app. Every limit is checked before any
// pixel is decoded, and every failure is an ImageError with a message a user can act on.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace mae {

class ImageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// PIL's own bound, where torchvision's loader stops with DecompressionBombError: a 108-MP
// phone photo opens (it did not under the 64 Mi-pixel bound before), a file claiming
// gigapixels does not.
struct ImageLimits {
  size_t max_bytes = size_t{256} << 20;  // 256 MiB file
  int64_t max_side = 65535;              // pixels per side (JPEG's own limit)
  int64_t max_pixels = 178956970;        // width * height: 2 x PIL's MAX_IMAGE_PIXELS
};

// Decodes JPEG, PNG, BMP, WebP, PNM or TIFF bytes (others are refused by their first bytes) to a
// (channels, H, W) float tensor in [0,1], for a picture a person opens. Gray becomes RGB by copy,
// RGB becomes gray by luminance, alpha is composited over white, 16-bit PNGs keep their precision,
// and a JPEG is turned upright as its EXIF orientation says (datasets use load_photo, as stored).
at::Tensor decode_image(const std::vector<uint8_t>& bytes, int64_t channels,
                        const ImageLimits& limits = {});
at::Tensor load_image(const std::string& path, int64_t channels, const ImageLimits& limits = {});

// The same picture before its float conversion, for one that is kept open (fit_picture makes
// the model's input of it): (channels, H, W) uint8 for an 8-bit picture, a quarter of the
// floats' memory, and float in [0, 1] for a 16-bit PNG. decode_image is to_unit of it. The bytes
// are a strided view of the decoded (H, W, channels) pixels, flipped in place and transposed
// where EXIF turns the photo: laying them out would hold the photo twice.
at::Tensor decode_picture(const std::vector<uint8_t>& bytes, int64_t channels,
                          const ImageLimits& limits = {});
at::Tensor load_picture(const std::string& path, int64_t channels, const ImageLimits& limits = {});

// Throws ImageError ("image is WxH (N MP), beyond the limit of 179.0 MP") unless 0 < w, h <=
// max_side and w * h <= max_pixels: every decoder checks the header's size with it before
// decoding.
void check_image_size(int64_t w, int64_t h, const ImageLimits& limits);

// (C, H, W) with C = 1 or 3 to `channels` (1 or 3): luminance or copies.
at::Tensor convert_channels(const at::Tensor& image, int64_t channels);

// Writes a (C, H, W) tensor in [0,1] (C = 1 or 3) as PNG, atomically.
void save_png(const std::string& path, const at::Tensor& image);

// Reads a whole image file, refusing files above limits.max_bytes. Throws ImageError.
std::vector<uint8_t> read_image_bytes(const std::string& path, const ImageLimits& limits);

}  // namespace mae
