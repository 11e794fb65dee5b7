// Why: see bmp_extent.h; the layout is Microsoft's BITMAPFILEHEADER followed by a
// BITMAPCOREHEADER (12 bytes) or a BITMAPINFOHEADER or one of its extensions (40+ bytes).
#include "data/bmp_extent.h"

namespace mae::stb {

namespace {
uint32_t read_le(const uint8_t* p, int bytes) {
  uint32_t value = 0;
  for (int i = bytes - 1; i >= 0; --i) value = (value << 8) | p[i];
  return value;
}
}  // namespace

std::string bmp_truncation(const uint8_t* data, size_t size, int width, int height) {
  constexpr size_t kFileHeader = 14;
  if (size < kFileHeader + 16 || width <= 0 || height <= 0) return "";
  const uint64_t pixel_offset = read_le(data + 10, 4);
  const uint64_t info_size = read_le(data + 14, 4);
  const bool core_header = info_size == 12;
  const uint64_t bits = read_le(data + kFileHeader + (core_header ? 10 : 14), 2);
  const uint32_t compression =
      core_header || size < kFileHeader + 20 ? 0 : read_le(data + kFileHeader + 16, 4);
  if (compression != 0 && compression != 3) return "";  // stb refuses RLE and embedded images
  if (bits == 0 || bits > 32) return "";
  // Rows are padded to a multiple of four bytes; pixel data starts at the stated offset, and
  // never before the headers end.
  const uint64_t row_bytes = (static_cast<uint64_t>(width) * bits + 31) / 32 * 4;
  const uint64_t pixel_bytes = row_bytes * static_cast<uint64_t>(height);
  const uint64_t start =
      pixel_offset > kFileHeader + info_size ? pixel_offset : kFileHeader + info_size;
  if (start + pixel_bytes <= size) return "";
  return "truncated BMP (its header promises " + std::to_string(pixel_bytes) +
         " bytes of pixels from byte " + std::to_string(start) + ", the file has " +
         std::to_string(size) + " bytes)";
}

}  // namespace mae::stb
