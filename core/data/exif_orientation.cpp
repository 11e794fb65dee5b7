// Why: the EXIF block is the only part of a JPEG that says which way up it is, and it comes
// from anywhere: every offset in it is checked against the bytes before it is read, and
// anything malformed reads as "as stored", never as an error (the picture itself is fine).
#include "data/exif_orientation.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cstring>

namespace mae {

namespace {

constexpr int64_t kRowsPerTask = 64;

uint32_t read_u16(const uint8_t* p, bool little) {
  return little ? p[0] | p[1] << 8 : p[0] << 8 | p[1];
}
uint32_t read_u32(const uint8_t* p, bool little) {
  return little ? read_u16(p, true) | read_u16(p + 2, true) << 16
                : read_u16(p, false) << 16 | read_u16(p + 2, false);
}

// The Orientation entry (tag 0x0112, one SHORT) of the first IFD of EXIF's TIFF body, or 1.
int tiff_orientation(const uint8_t* tiff, size_t size) {
  if (size < 8) return 1;
  bool little = false;
  if (tiff[0] == 'I' && tiff[1] == 'I') {
    little = true;
  } else if (tiff[0] != 'M' || tiff[1] != 'M') {
    return 1;
  }
  if (read_u16(tiff + 2, little) != 42) return 1;
  const size_t ifd = read_u32(tiff + 4, little);
  if (ifd > size - 2) return 1;
  const size_t entries = read_u16(tiff + ifd, little);
  for (size_t i = 0; i < entries; ++i) {
    const size_t entry = ifd + 2 + 12 * i;
    if (entry + 12 > size) return 1;
    if (read_u16(tiff + entry, little) != 0x0112) continue;
    if (read_u16(tiff + entry + 2, little) != 3) return 1;  // not a SHORT
    const uint32_t value = read_u16(tiff + entry + 8, little);
    return value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
  }
  return 1;
}

// Row i and row h - 1 - i change places: the picture upside down.
void flip_rows(uint8_t* data, int64_t h, int64_t row_bytes) {
  at::parallel_for(0, h / 2, kRowsPerTask, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      std::swap_ranges(data + i * row_bytes, data + (i + 1) * row_bytes,
                       data + (h - 1 - i) * row_bytes);
  });
}

// In every row, pixel j and pixel w - 1 - j change places: the picture mirrored.
void flip_columns(uint8_t* data, int64_t h, int64_t w, int64_t pixel_bytes) {
  at::parallel_for(0, h, kRowsPerTask, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      uint8_t* row = data + i * w * pixel_bytes;
      for (int64_t left = 0, right = w - 1; left < right; ++left, --right)
        std::swap_ranges(row + left * pixel_bytes, row + (left + 1) * pixel_bytes,
                         row + right * pixel_bytes);
    }
  });
}

}  // namespace

int jpeg_exif_orientation(const uint8_t* data, size_t size) {
  static constexpr uint8_t kExif[6] = {'E', 'x', 'i', 'f', 0, 0};
  if (size < 4 || data[0] != 0xff || data[1] != 0xd8) return 1;
  size_t at = 2;
  while (at + 4 <= size) {
    if (data[at] != 0xff) return 1;
    const uint8_t marker = data[at + 1];
    if (marker == 0xff) {  // a fill byte before the marker
      ++at;
      continue;
    }
    if (marker == 0xda || marker == 0xd9) return 1;  // the image data, or its end
    const size_t length = size_t{data[at + 2]} << 8 | data[at + 3];
    if (length < 2 || length > size - at - 2) return 1;
    const uint8_t* body = data + at + 4;
    const size_t body_size = length - 2;
    if (marker == 0xe1 && body_size >= sizeof kExif && std::memcmp(body, kExif, 6) == 0)
      return tiff_orientation(body + sizeof kExif, body_size - sizeof kExif);
    at += 2 + length;
  }
  return 1;
}

at::Tensor upright_in_place(at::Tensor hwc, int orientation) {
  TORCH_CHECK(hwc.dim() == 3 && hwc.is_contiguous(),
              "upright_in_place takes contiguous (H, W, C) pixels");
  // Each turn is the stored pixels flipped, seen through a transposed view for 5 to 8: 6, for
  // one, shows upright pixel (r, c) from stored (H - 1 - c, r), which is the row-flipped
  // picture's (c, r).
  const bool flipped_rows =
      orientation == 3 || orientation == 4 || orientation == 6 || orientation == 7;
  const bool flipped_columns =
      orientation == 2 || orientation == 3 || orientation == 7 || orientation == 8;
  const bool transposed = orientation >= 5 && orientation <= 8;
  const int64_t h = hwc.size(0), w = hwc.size(1);
  const int64_t pixel_bytes = hwc.size(2) * static_cast<int64_t>(hwc.element_size());
  auto* data = static_cast<uint8_t*>(hwc.data_ptr());
  if (flipped_rows) flip_rows(data, h, w * pixel_bytes);
  if (flipped_columns) flip_columns(data, h, w, pixel_bytes);
  const auto chw = hwc.permute({2, 0, 1});
  return transposed ? chw.transpose(1, 2) : chw;
}

}  // namespace mae
