// Why: the only door to libjpeg-turbo. Without it (MAE_HAVE_TURBOJPEG unset) every call
// reports "not available" and the caller falls back to stb_image.
#include "data/jpeg_decoder.h"

#ifdef MAE_HAVE_TURBOJPEG
#include <turbojpeg.h>
#endif

#include <algorithm>
#include <climits>
#include <memory>

namespace mae::jpeg {

bool looks_like_jpeg(const uint8_t* data, size_t size) {
  return size >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff;
}

int scaled_side(int side, int denominator) { return (side + denominator - 1) / denominator; }

int pick_scale_denominator(int width, int height, int64_t min_short_side) {
  if (min_short_side <= 0) return 1;
  const int short_side = std::min(width, height);
  for (int d : {8, 4, 2})
    if (scaled_side(short_side, d) >= min_short_side) return d;
  return 1;
}

#ifdef MAE_HAVE_TURBOJPEG

namespace {
struct HandleCloser {
  void operator()(void* h) const { tjDestroy(h); }
};
using Handle = std::unique_ptr<void, HandleCloser>;

bool fits(size_t size) { return size <= static_cast<size_t>(ULONG_MAX) && size > 0; }

// A decompressor that has read the frame header, or none (and `reason` says why).
struct OpenedJpeg {
  Handle handle;
  int width = 0, height = 0, colorspace = -1;
};

// TurboJPEG 2 names only the common chroma subsamplings (4:4:4, 4:2:2, 4:2:0, ...). For any
// other (3x1, 4x2, 1x4, or a CMYK file whose K is not sampled like Y) its header call fails
// after reading a valid header, though its decompressor, libjpeg's, decodes the file, as PIL
// does. We never need the subsampling, so that failure alone is not one.
bool only_subsampling_unnamed(const OpenedJpeg& j) {
  const std::string message = tjGetErrorStr2(j.handle.get());
  return message.find("Could not determine subsampling type") != std::string::npos && j.width > 0 &&
         j.height > 0 && j.colorspace >= 0;
}

std::optional<OpenedJpeg> open_jpeg(const uint8_t* data, size_t size, std::string* reason) {
  OpenedJpeg j{Handle(tjInitDecompress())};
  int subsamp = 0;
  if (!j.handle || !fits(size)) {
    *reason = j.handle ? "the file is empty or too large" : "cannot start the JPEG decoder";
    return std::nullopt;
  }
  if (tjDecompressHeader3(j.handle.get(), data, static_cast<unsigned long>(size), &j.width,
                          &j.height, &subsamp, &j.colorspace) != 0 &&
      !only_subsampling_unnamed(j)) {
    *reason = tjGetErrorStr2(j.handle.get());
    return std::nullopt;
  }
  return j;
}

// PIL's reading of a four-channel JPEG, which ImageNet's CMYK photos go through in the
// authors' loader: the stored values taken as Adobe's inverted CMYK (PIL assumes so for every
// CMYK JPEG), then its cmyk2rgb, R = (255 - K) - (255 - K) * C / 255 in its integer rounding.
uint8_t muldiv255(int a, int b) {
  const int t = a * b + 128;
  return static_cast<uint8_t>(((t >> 8) + t) >> 8);
}
std::vector<uint8_t> adobe_cmyk_to_rgb(const std::vector<uint8_t>& cmyk) {
  const size_t n = cmyk.size() / 4;
  std::vector<uint8_t> rgb(3 * n);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* s = &cmyk[4 * i];
    const int not_k = s[3];  // stored inverted: 255 - K
    for (int c = 0; c < 3; ++c)
      rgb[3 * i + c] = static_cast<uint8_t>(not_k - muldiv255(255 - s[c], not_k));
  }
  return rgb;
}

}  // namespace

bool available() { return true; }

std::optional<Header> read_header(const uint8_t* data, size_t size, std::string* reason) {
  auto j = open_jpeg(data, size, reason);
  if (!j) return std::nullopt;
  return Header{j->width, j->height};
}

std::optional<Decoded> decode(const uint8_t* data, size_t size, int channels, int denominator,
                              std::string* reason) {
  auto j = open_jpeg(data, size, reason);
  if (!j) return std::nullopt;
  const bool cmyk = j->colorspace == TJCS_CMYK || j->colorspace == TJCS_YCCK;
  void* h = j->handle.get();
  const int w = j->width, ht = j->height;
  Decoded out;
  out.width = scaled_side(w, denominator);
  out.height = scaled_side(ht, denominator);
  out.channels = cmyk ? 3 : channels;
  std::vector<uint8_t> stored(static_cast<size_t>(out.width) * out.height * (cmyk ? 4 : channels));
  const int format = cmyk ? TJPF_CMYK : channels == 1 ? TJPF_GRAY : TJPF_RGB;
  if (tjDecompress2(h, data, static_cast<unsigned long>(size), stored.data(), out.width, 0,
                    out.height, format, TJFLAG_NOREALLOC) != 0) {
    const std::string message = tjGetErrorStr2(h);
    const bool truncated = message.find("Premature end") != std::string::npos;
    // Warnings (extraneous bytes, a corrupt restart marker) still give a whole picture, as in
    // PIL; a premature end leaves grey where pixels were missing, so it is an error.
    if (tjGetErrorCode(h) != TJERR_WARNING || truncated) {
      *reason = truncated ? "truncated JPEG" : message;
      return std::nullopt;
    }
  }
  out.pixels = cmyk ? adobe_cmyk_to_rgb(stored) : std::move(stored);
  return out;
}

std::vector<uint8_t> encode(const uint8_t* pixels, int width, int height, int channels,
                            int quality) {
  Handle h(tjInitCompress());
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  const int format = channels == 1 ? TJPF_GRAY : channels == 4 ? TJPF_CMYK : TJPF_RGB;
  const int subsamp = channels == 1 ? TJSAMP_GRAY : TJSAMP_420;
  std::vector<uint8_t> out;
  if (h && tjCompress2(h.get(), pixels, width, 0, height, format, &buffer, &size, subsamp, quality,
                       0) == 0)
    out.assign(buffer, buffer + size);
  tjFree(buffer);
  return out;
}

#else

bool available() { return false; }

std::optional<Header> read_header(const uint8_t*, size_t, std::string* reason) {
  *reason = "built without libjpeg-turbo";
  return std::nullopt;
}

std::optional<Decoded> decode(const uint8_t*, size_t, int, int, std::string* reason) {
  *reason = "built without libjpeg-turbo";
  return std::nullopt;
}

std::vector<uint8_t> encode(const uint8_t*, int, int, int, int) { return {}; }

#endif

}  // namespace mae::jpeg
