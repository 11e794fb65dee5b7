// Why: the EXIF block is the only part of a JPEG that says which way up it is, and it comes
// from anywhere: every offset in it is checked against the bytes before it is read, and
// anything malformed reads as "as stored", never as an error (the picture itself is fine).
#include "data/exif_orientation.h"

#include <ATen/ATen.h>

#include <cstring>

namespace mae {

namespace {

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

at::Tensor upright(const at::Tensor& chw, int orientation) {
  switch (orientation) {
    case 2:
      return chw.flip({2});
    case 3:
      return chw.flip({1, 2});
    case 4:
      return chw.flip({1});
    case 5:
      return chw.transpose(1, 2).contiguous();
    case 6:
      return chw.transpose(1, 2).flip({2});
    case 7:
      return chw.transpose(1, 2).flip({1, 2});
    case 8:
      return chw.transpose(1, 2).flip({1});
    default:
      return chw;
  }
}

}  // namespace mae
