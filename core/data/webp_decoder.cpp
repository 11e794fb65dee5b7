// Why: the only door to libwebp, so that no other file depends on whether it was found.
#include "data/webp_decoder.h"

#include <cstring>

#ifdef MAE_HAVE_WEBP
#include <webp/decode.h>
#include <webp/demux.h>
#include <webp/encode.h>

#include <memory>
#endif

namespace mae::webp {

bool looks_like_webp(const uint8_t* data, size_t size) {
  return size >= 12 && std::memcmp(data, "RIFF", 4) == 0 && std::memcmp(data + 8, "WEBP", 4) == 0;
}

#ifdef MAE_HAVE_WEBP

namespace {

std::string status_text(VP8StatusCode status) {
  switch (status) {
    case VP8_STATUS_NOT_ENOUGH_DATA:
      return "truncated WebP";
    case VP8_STATUS_UNSUPPORTED_FEATURE:
      return "a WebP feature libwebp does not support";
    case VP8_STATUS_OUT_OF_MEMORY:
      return "not enough memory to decode this WebP";
    default:
      return "corrupt WebP";
  }
}

std::optional<WebPBitstreamFeatures> features(const uint8_t* data, size_t size,
                                              std::string* reason) {
  WebPBitstreamFeatures f;
  const VP8StatusCode status = WebPGetFeatures(data, size, &f);
  if (status != VP8_STATUS_OK) {
    *reason = status_text(status) + " (header)";
    return std::nullopt;
  }
  if (f.width <= 0 || f.height <= 0) {
    *reason = "corrupt WebP (no size in its header)";
    return std::nullopt;
  }
  return f;
}

// An animated file's first frame, as PIL's WebPAnimDecoder gives it: the frame drawn on the
// canvas (transparent where it leaves it uncovered), RGBA when the file says it has alpha,
// else RGB with the canvas's alpha dropped.
std::optional<Decoded> decode_first_frame(const uint8_t* data, size_t size, bool has_alpha,
                                          std::string* reason) {
  WebPAnimDecoderOptions options;
  if (!WebPAnimDecoderOptionsInit(&options)) {
    *reason = "libwebp is not the version this program was built with";
    return std::nullopt;
  }
  options.color_mode = MODE_RGBA;
  options.use_threads = 0;
  const WebPData bytes{data, size};
  const std::unique_ptr<WebPAnimDecoder, void (*)(WebPAnimDecoder*)> decoder(
      WebPAnimDecoderNew(&bytes, &options), WebPAnimDecoderDelete);
  WebPAnimInfo info;
  uint8_t* canvas = nullptr;
  int timestamp = 0;
  if (!decoder || !WebPAnimDecoderGetInfo(decoder.get(), &info) ||
      !WebPAnimDecoderGetNext(decoder.get(), &canvas, &timestamp)) {
    *reason = "corrupt or truncated animated WebP";
    return std::nullopt;
  }
  Decoded out;
  out.width = static_cast<int>(info.canvas_width);
  out.height = static_cast<int>(info.canvas_height);
  out.channels = has_alpha ? 4 : 3;
  const size_t pixels = static_cast<size_t>(out.width) * static_cast<size_t>(out.height);
  out.pixels.resize(pixels * static_cast<size_t>(out.channels));
  for (size_t i = 0; i < pixels; ++i)
    for (int k = 0; k < out.channels; ++k) out.pixels[i * out.channels + k] = canvas[i * 4 + k];
  return out;
}

}  // namespace

bool available() { return true; }

std::optional<Header> read_header(const uint8_t* data, size_t size, std::string* reason) {
  auto f = features(data, size, reason);
  if (!f) return std::nullopt;
  return Header{f->width, f->height};
}

std::optional<Decoded> decode(const uint8_t* data, size_t size, std::string* reason) {
  auto f = features(data, size, reason);
  if (!f) return std::nullopt;
  if (f->has_animation) return decode_first_frame(data, size, f->has_alpha != 0, reason);
  Decoded out;
  out.width = f->width;
  out.height = f->height;
  out.channels = f->has_alpha ? 4 : 3;
  const int stride = out.width * out.channels;
  out.pixels.resize(static_cast<size_t>(stride) * out.height);
  WebPDecoderConfig config;
  if (!WebPInitDecoderConfig(&config)) {
    *reason = "libwebp is not the version this program was built with";
    return std::nullopt;
  }
  config.output.colorspace = f->has_alpha ? MODE_RGBA : MODE_RGB;
  config.output.is_external_memory = 1;
  config.output.u.RGBA.rgba = out.pixels.data();
  config.output.u.RGBA.stride = stride;
  config.output.u.RGBA.size = out.pixels.size();
  const VP8StatusCode status = WebPDecode(data, size, &config);
  WebPFreeDecBuffer(&config.output);
  if (status != VP8_STATUS_OK) {
    *reason = status_text(status);
    return std::nullopt;
  }
  return out;
}

std::vector<uint8_t> encode(const uint8_t* pixels, int width, int height, int channels,
                            float quality) {
  uint8_t* buffer = nullptr;
  const int stride = width * channels;
  size_t size = 0;
  if (quality < 0)
    size = channels == 4 ? WebPEncodeLosslessRGBA(pixels, width, height, stride, &buffer)
                         : WebPEncodeLosslessRGB(pixels, width, height, stride, &buffer);
  else
    size = channels == 4 ? WebPEncodeRGBA(pixels, width, height, stride, quality, &buffer)
                         : WebPEncodeRGB(pixels, width, height, stride, quality, &buffer);
  std::vector<uint8_t> out(buffer, buffer + size);
  WebPFree(buffer);
  return out;
}

#else

bool available() { return false; }

std::optional<Header> read_header(const uint8_t*, size_t, std::string* reason) {
  *reason = "WebP needs libwebp, which this build lacks";
  return std::nullopt;
}

std::optional<Decoded> decode(const uint8_t*, size_t, std::string* reason) {
  *reason = "WebP needs libwebp, which this build lacks";
  return std::nullopt;
}

std::vector<uint8_t> encode(const uint8_t*, int, int, int, float) { return {}; }

#endif

}  // namespace mae::webp
