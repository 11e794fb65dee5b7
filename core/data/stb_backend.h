// Why: the only door to stb (image decode, PNG encode). stb is compiled with
// static linkage in one translation unit, so it never clashes with another copy of stb
// that a GUI library may carry, and no torch type appears here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mae::stb {

struct ImageInfo {
  int width = 0;
  int height = 0;
  int channels = 0;  // as stored: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA
  bool sixteen_bit = false;
};

// The formats we read: PNG and BMP through stb, JPEG through libjpeg-turbo, WebP through
// libwebp, TIFF through libtiff and PNM through our own reader (stb refuses all four).
// Everything else is refused before any decoder sees it.
enum class ImageFormat { Jpeg, Png, Bmp, Webp, Pnm, Tiff, Unsupported };

// The format named by the file's first bytes (its extension is never trusted).
ImageFormat sniff_format(const uint8_t* data, size_t size);

// "not a JPEG, PNG, BMP, WebP, PNM or TIFF file; it looks like a GIF".
std::string unsupported_format_note(const uint8_t* data, size_t size);

// Reads the header only. Returns false and sets `reason` ("corrupt or truncated PNG (...)",
// "not a JPEG, PNG, BMP, WebP, PNM or TIFF file; ...") when the file cannot be read.
bool probe(const uint8_t* data, size_t size, ImageInfo* info, std::string* reason);

// Decodes to interleaved HWC floats in [0,1] with info.channels channels.
// Returns false and sets `reason` on a corrupt or truncated image.
bool decode(const uint8_t* data, size_t size, const ImageInfo& info, std::vector<float>* pixels,
            std::string* reason);

// Decodes to interleaved HWC bytes with info.channels channels (16-bit images are reduced to
// 8 bits). The buffer is stb's: release it with free_pixels. Returns nullptr and sets
// `reason` on a corrupt or truncated image.
uint8_t* decode_8bit(const uint8_t* data, size_t size, const ImageInfo& info, std::string* reason);
void free_pixels(void* pixels);

// PNG bytes of an interleaved 8-bit image with 1, 3 or 4 channels.
std::vector<uint8_t> encode_png(const uint8_t* pixels, int width, int height, int channels);

}  // namespace mae::stb
