// Why: third-party code; compiled without our warning flags. Only the
// PNG and BMP decoders are compiled in: stb's other decoders (PIC, PNM, TGA, PSD, GIF, HDR)
// have known memory bugs and no photo folder needs them, and its JPEG decoder has undefined
// behaviour on crafted Huffman tables (found by fuzz_image_decode), so JPEG goes to
// libjpeg-turbo only. Every allocation stb makes goes through a per-thread cap sized from the
// header and the file: a PNG may declare a 2 GiB IDAT chunk in a 100-byte file, or carry a
// deflate stream that inflates a thousandfold past the pixels its header promises, and stb
// would allocate for either before noticing (both found by fuzz_image_decode). Empty IDAT
// chunks are dropped before stb sees them (it would copy them to a null pointer).
#include <cstddef>

namespace mae::stb {
void* capped_malloc(size_t size);
void* capped_realloc(void* pointer, size_t size);
void capped_free(void* pointer);
}  // namespace mae::stb

#define STBI_MALLOC(size) mae::stb::capped_malloc(size)
#define STBI_REALLOC(pointer, size) mae::stb::capped_realloc(pointer, size)
#define STBI_FREE(pointer) mae::stb::capped_free(pointer)
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image.h>
#include <stb_image_write.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "data/bmp_extent.h"
#include "data/jpeg_decoder.h"
#include "data/pnm_decoder.h"
#include "data/stb_backend.h"
#include "data/tiff_decoder.h"
#include "data/webp_decoder.h"

namespace mae::stb {

namespace {
thread_local size_t allocation_cap = SIZE_MAX;
thread_local bool allocation_refused = false;

// Bounds each single allocation stb makes while it lives; a refused one makes stb fail with
// "outofmem", which the caller reports as a hostile file rather than a lack of memory.
class AllocationCap {
 public:
  explicit AllocationCap(size_t cap) {
    allocation_cap = cap;
    allocation_refused = false;
  }
  ~AllocationCap() { allocation_cap = SIZE_MAX; }
  AllocationCap(const AllocationCap&) = delete;
  AllocationCap& operator=(const AllocationCap&) = delete;
};

// The largest buffer a well-formed file needs: the compressed data gathered from the file
// (at most the file, doubled as stb grows it), or the inflated rows (16-bit, four channels,
// one filter byte per row), with stb's doubling growth on top.
size_t cap_for(size_t file_size, const ImageInfo* info) {
  size_t cap = 2 * file_size + (size_t{1} << 16);
  if (info) {
    const size_t w = static_cast<size_t>(info->width), h = static_cast<size_t>(info->height);
    cap = std::max(cap, 2 * (w * h * 4 * 2 + h) + (size_t{1} << 16));
  }
  return cap;
}

bool fits_int(size_t size) { return size <= static_cast<size_t>(INT_MAX); }

bool starts_with(const uint8_t* data, size_t size, const char* magic, size_t length) {
  return size >= length && std::memcmp(data, magic, length) == 0;
}

uint32_t read_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// stb allocates its IDAT buffer on the first non-empty IDAT chunk, so an empty one before it
// makes stb memcpy zero bytes to a null pointer (undefined behaviour, found by
// fuzz_image_decode). Empty IDAT chunks carry nothing: the file is decoded without them.
// Returns the file less those chunks, or nothing when it has none.
std::vector<uint8_t> without_empty_idat_chunks(const uint8_t* data, size_t size) {
  std::vector<size_t> empty_chunks;
  if (!starts_with(data, size, "\x89PNG\r\n\x1A\n", 8)) return {};
  for (size_t at = 8; size - at >= 8;) {  // a chunk's length and type, its CRC may be cut off
    const size_t length = read_be32(data + at);
    if (length == 0 && std::memcmp(data + at + 4, "IDAT", 4) == 0) empty_chunks.push_back(at);
    if (size - at < 12 || length > size - at - 12) break;
    at += 12 + length;
  }
  if (empty_chunks.empty()) return {};
  std::vector<uint8_t> kept;
  kept.reserve(size);
  size_t from = 0;
  for (size_t chunk : empty_chunks) {
    kept.insert(kept.end(), data + from, data + chunk);
    from = std::min(chunk + 12, size);
  }
  kept.insert(kept.end(), data + from, data + size);
  return kept;
}

const char* format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::Jpeg:
      return "JPEG";
    case ImageFormat::Png:
      return "PNG";
    case ImageFormat::Bmp:
      return "BMP";
    case ImageFormat::Webp:
      return "WebP";
    case ImageFormat::Pnm:
      return "PNM";
    case ImageFormat::Tiff:
      return "TIFF";
    case ImageFormat::Unsupported:
      break;
  }
  return "image";
}

std::string failure(ImageFormat format, const char* fallback) {
  if (allocation_refused)
    return std::string("corrupt ") + format_name(format) +
           " (its data would need more memory than its size and header allow)";
  const char* why = stbi_failure_reason();  // empty for an unknown chunk of type 0
  return std::string("corrupt or truncated ") + format_name(format) + " (" +
         (why && *why ? why : fallback) + ")";
}
}  // namespace

void* capped_malloc(size_t size) {
  if (size > allocation_cap) {
    allocation_refused = true;
    return nullptr;
  }
  return std::malloc(size);
}

void* capped_realloc(void* pointer, size_t size) {
  if (size > allocation_cap) {
    allocation_refused = true;
    return nullptr;
  }
  return std::realloc(pointer, size);
}

void capped_free(void* pointer) { std::free(pointer); }

ImageFormat sniff_format(const uint8_t* data, size_t size) {
  if (jpeg::looks_like_jpeg(data, size)) return ImageFormat::Jpeg;
  if (starts_with(data, size, "\x89PNG\r\n\x1A\n", 8)) return ImageFormat::Png;
  if (starts_with(data, size, "BM", 2)) return ImageFormat::Bmp;
  if (webp::looks_like_webp(data, size)) return ImageFormat::Webp;
  if (pnm::looks_like_pnm(data, size)) return ImageFormat::Pnm;
  if (tiff::looks_like_tiff(data, size)) return ImageFormat::Tiff;
  return ImageFormat::Unsupported;
}

std::string unsupported_format_note(const uint8_t* data, size_t size) {
  struct Magic {
    const char* bytes;
    size_t length;
    const char* name;
  };
  static const Magic kKnown[] = {{"GIF8", 4, "a GIF"},
                                 {"8BPS", 4, "a Photoshop file"},
                                 {"#?RADIANCE", 10, "an HDR"},
                                 {"#?RGBE", 6, "an HDR"},
                                 {"\x53\x80\xF6\x34", 4, "a PIC"},
                                 {"Pf", 2, "a PFM (floating-point Netpbm)"},
                                 {"RIFF", 4, "a RIFF file (not a WebP)"}};
  std::string note = "not a JPEG, PNG, BMP, WebP, PNM or TIFF file";
  for (const auto& m : kKnown)
    if (starts_with(data, size, m.bytes, m.length)) return note + "; it looks like " + m.name;
  // HEIC (what phones save) and AVIF are ISO media files: "ftyp" and a brand at byte 4.
  if (size >= 12 && std::memcmp(data + 4, "ftyp", 4) == 0) {
    const std::string brand(reinterpret_cast<const char*>(data + 8), 4);
    if (brand == "avif" || brand == "avis") return note + "; it looks like an AVIF";
    if (brand == "heic" || brand == "heix" || brand == "mif1" || brand == "msf1")
      return note + "; it looks like a HEIC (a phone's photo: convert it to JPEG)";
  }
  return note;
}

bool probe(const uint8_t* data, size_t size, ImageInfo* info, std::string* reason) {
  if (!fits_int(size)) {
    *reason = "file too large";
    return false;
  }
  const ImageFormat format = sniff_format(data, size);
  if (format == ImageFormat::Unsupported) {
    *reason = unsupported_format_note(data, size);
    return false;
  }
  if (format == ImageFormat::Jpeg || format == ImageFormat::Webp || format == ImageFormat::Tiff) {
    *reason = std::string(format_name(format)) + " needs " +
              (format == ImageFormat::Jpeg   ? "libjpeg-turbo"
               : format == ImageFormat::Webp ? "libwebp"
                                             : "libtiff") +
              ", which this build lacks";
    return false;
  }
  const int len = static_cast<int>(size);
  const AllocationCap cap(cap_for(size, nullptr));
  if (!stbi_info_from_memory(data, len, &info->width, &info->height, &info->channels)) {
    *reason = failure(format, "unreadable header");
    return false;
  }
  info->sixteen_bit = stbi_is_16_bit_from_memory(data, len) != 0;
  if (format == ImageFormat::Bmp) {
    *reason = bmp_header_problem(data, size, info->width, info->height);
    if (!reason->empty()) return false;
  }
  return true;
}

bool decode(const uint8_t* data, size_t size, const ImageInfo& info, std::vector<float>* pixels,
            std::string* reason) {
  if (!fits_int(size)) {
    *reason = "file too large";
    return false;
  }
  const std::vector<uint8_t> cleaned = without_empty_idat_chunks(data, size);
  if (!cleaned.empty()) data = cleaned.data(), size = cleaned.size();
  int w = 0, h = 0, c = 0;
  const size_t count = static_cast<size_t>(info.width) * info.height * info.channels;
  pixels->resize(count);
  const AllocationCap cap(cap_for(size, &info));
  if (info.sixteen_bit) {
    stbi_us* raw =
        stbi_load_16_from_memory(data, static_cast<int>(size), &w, &h, &c, info.channels);
    if (!raw) {
      *reason = failure(sniff_format(data, size), "decode failed");
      return false;
    }
    for (size_t i = 0; i < count; ++i) (*pixels)[i] = raw[i] / 65535.0f;
    stbi_image_free(raw);
  } else {
    stbi_uc* raw = stbi_load_from_memory(data, static_cast<int>(size), &w, &h, &c, info.channels);
    if (!raw) {
      *reason = failure(sniff_format(data, size), "decode failed");
      return false;
    }
    for (size_t i = 0; i < count; ++i) (*pixels)[i] = raw[i] / 255.0f;
    stbi_image_free(raw);
  }
  if (w != info.width || h != info.height) {
    *reason = "header and pixel data disagree";
    return false;
  }
  return true;
}

uint8_t* decode_8bit(const uint8_t* data, size_t size, const ImageInfo& info, std::string* reason) {
  if (!fits_int(size)) {
    *reason = "file too large";
    return nullptr;
  }
  const std::vector<uint8_t> cleaned = without_empty_idat_chunks(data, size);
  if (!cleaned.empty()) data = cleaned.data(), size = cleaned.size();
  int w = 0, h = 0, c = 0;
  const AllocationCap cap(cap_for(size, &info));
  stbi_uc* raw = stbi_load_from_memory(data, static_cast<int>(size), &w, &h, &c, info.channels);
  if (!raw) {
    *reason = failure(sniff_format(data, size), "decode failed");
    return nullptr;
  }
  if (w != info.width || h != info.height) {
    stbi_image_free(raw);
    *reason = "header and pixel data disagree";
    return nullptr;
  }
  return raw;
}

void free_pixels(void* pixels) { stbi_image_free(pixels); }

std::vector<uint8_t> encode_png(const uint8_t* pixels, int width, int height, int channels) {
  std::vector<uint8_t> out;
  auto append = [](void* ctx, void* bytes, int size) {
    auto* v = static_cast<std::vector<uint8_t>*>(ctx);
    auto* b = static_cast<uint8_t*>(bytes);
    v->insert(v->end(), b, b + size);
  };
  stbi_write_png_to_func(append, &out, width, height, channels, pixels, width * channels);
  return out;
}

}  // namespace mae::stb
