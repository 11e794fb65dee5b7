// Why: the layout is Microsoft's BITMAPFILEHEADER followed by a
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

std::string bmp_header_problem(const uint8_t* data, size_t size, int width, int height) {
  constexpr size_t kFileHeader = 14;
  if (width <= 0 || height <= 0) return "";
  if (size < kFileHeader + 16)  // stb reads the missing header bytes as zeros
    return "truncated BMP (its header is cut short at " + std::to_string(size) + " bytes)";
  const uint64_t pixel_offset = read_le(data + 10, 4);
  const uint64_t info_size = read_le(data + 14, 4);
  const bool core_header = info_size == 12;
  const uint64_t bits = read_le(data + kFileHeader + (core_header ? 10 : 14), 2);
  const uint32_t compression =
      core_header || size < kFileHeader + 20 ? 0 : read_le(data + kFileHeader + 16, 4);
  // stb refuses RLE (1, 2) and embedded JPEG, PNG and the like (4 and up) by name; it decodes
  // 3 (bit fields) and values that are negative as an int as uncompressed pixels.
  if (compression == 1 || compression == 2 || (compression >= 4 && compression <= INT32_MAX))
    return "";
  if (bits != 1 && bits != 4 && bits != 8 && bits != 16 && bits != 24 && bits != 32)
    return "unsupported BMP (" + std::to_string(bits) + " bits per pixel)";
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
