// Why: see stb_backend.h. Third-party code; compiled without our warning flags. Only the
// PNG and BMP decoders are compiled in: stb's other decoders (PIC, PNM, TGA, PSD, GIF, HDR)
// have known memory bugs and no photo folder needs them, and its JPEG decoder has undefined
// behaviour on crafted Huffman tables (found by fuzz_image_decode), so JPEG goes to
// libjpeg-turbo only.
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include "data/stb_backend.h"

#include <stb_image.h>
#include <stb_image_write.h>

#include <climits>
#include <cstdlib>
#include <cstring>

namespace mae::stb {

namespace {
bool fits_int(size_t size) { return size <= static_cast<size_t>(INT_MAX); }

bool starts_with(const uint8_t* data, size_t size, const char* magic, size_t length) {
  return size >= length && std::memcmp(data, magic, length) == 0;
}

const char* format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::Jpeg:
      return "JPEG";
    case ImageFormat::Png:
      return "PNG";
    case ImageFormat::Bmp:
      return "BMP";
    case ImageFormat::Unsupported:
      break;
  }
  return "image";
}

std::string failure(ImageFormat format, const char* fallback) {
  const char* why = stbi_failure_reason();
  return std::string("corrupt or truncated ") + format_name(format) + " (" +
         (why ? why : fallback) + ")";
}
}  // namespace

ImageFormat sniff_format(const uint8_t* data, size_t size) {
  if (starts_with(data, size, "\xFF\xD8\xFF", 3)) return ImageFormat::Jpeg;
  if (starts_with(data, size, "\x89PNG\r\n\x1A\n", 8)) return ImageFormat::Png;
  if (starts_with(data, size, "BM", 2)) return ImageFormat::Bmp;
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
                                 {"II*\0", 4, "a TIFF"},
                                 {"MM\0*", 4, "a TIFF"},
                                 {"#?RADIANCE", 10, "an HDR"},
                                 {"#?RGBE", 6, "an HDR"},
                                 {"\x53\x80\xF6\x34", 4, "a PIC"},
                                 {"P5", 2, "a PGM"},
                                 {"P6", 2, "a PPM"},
                                 {"RIFF", 4, "a RIFF (WebP?)"}};
  std::string note = "not a JPEG, PNG or BMP file";
  for (const auto& m : kKnown)
    if (starts_with(data, size, m.bytes, m.length)) return note + "; it looks like " + m.name;
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
  if (format == ImageFormat::Jpeg) {
    *reason = "JPEG needs libjpeg-turbo, which this build lacks";
    return false;
  }
  const int len = static_cast<int>(size);
  if (!stbi_info_from_memory(data, len, &info->width, &info->height, &info->channels)) {
    *reason = failure(format, "unreadable header");
    return false;
  }
  info->sixteen_bit = stbi_is_16_bit_from_memory(data, len) != 0;
  return true;
}

bool decode(const uint8_t* data, size_t size, const ImageInfo& info, std::vector<float>* pixels,
            std::string* reason) {
  if (!fits_int(size)) {
    *reason = "file too large";
    return false;
  }
  int w = 0, h = 0, c = 0;
  const size_t count = static_cast<size_t>(info.width) * info.height * info.channels;
  pixels->resize(count);
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
  int w = 0, h = 0, c = 0;
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
