// Why: see stb_backend.h. Third-party code; compiled without our warning flags.
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include "data/stb_backend.h"

#include <stb_image.h>
#include <stb_image_write.h>

#include <climits>
#include <cstdlib>

namespace mae::stb {

namespace {
bool fits_int(size_t size) { return size <= static_cast<size_t>(INT_MAX); }
}  // namespace

bool probe(const uint8_t* data, size_t size, ImageInfo* info, std::string* reason) {
  if (!fits_int(size)) {
    *reason = "file too large";
    return false;
  }
  const int len = static_cast<int>(size);
  if (!stbi_info_from_memory(data, len, &info->width, &info->height, &info->channels)) {
    *reason = stbi_failure_reason() ? stbi_failure_reason() : "unknown image format";
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
      *reason = stbi_failure_reason() ? stbi_failure_reason() : "decode failed";
      return false;
    }
    for (size_t i = 0; i < count; ++i) (*pixels)[i] = raw[i] / 65535.0f;
    stbi_image_free(raw);
  } else {
    stbi_uc* raw = stbi_load_from_memory(data, static_cast<int>(size), &w, &h, &c, info.channels);
    if (!raw) {
      *reason = stbi_failure_reason() ? stbi_failure_reason() : "decode failed";
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
    *reason = stbi_failure_reason() ? stbi_failure_reason() : "decode failed";
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

bool inflate_raw(const uint8_t* data, size_t size, std::vector<uint8_t>* out) {
  if (!fits_int(size)) return false;
  int out_len = 0;
  char* raw = stbi_zlib_decode_noheader_malloc(reinterpret_cast<const char*>(data),
                                               static_cast<int>(size), &out_len);
  if (!raw) return false;
  out->assign(reinterpret_cast<uint8_t*>(raw), reinterpret_cast<uint8_t*>(raw) + out_len);
  std::free(raw);
  return true;
}

}  // namespace mae::stb
