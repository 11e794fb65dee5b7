// Why: the chunk walk declines everything outside the common case instead of handling it, so
// the only new code between a hostile file and memory is a bounds-checked walk, one inflate
// into a buffer of the exact size the header promises, and the five row filters.
#include "data/png_decoder.h"

#ifdef MAE_HAVE_DEFLATE
#include <libdeflate.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#endif

namespace mae::png {

#ifdef MAE_HAVE_DEFLATE

namespace {

uint32_t big_endian(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

bool is_chunk(const uint8_t* type, const char* name) { return std::memcmp(type, name, 4) == 0; }

struct CommonHeader {
  uint32_t width = 0;
  uint32_t height = 0;
  int channels = 0;
  int sample_bytes = 1;  // 2 for 16-bit samples, big-endian
};

// IHDR's fields when they describe the common case.
std::optional<CommonHeader> common_header(const uint8_t* ihdr) {
  const uint32_t width = big_endian(ihdr), height = big_endian(ihdr + 4);
  const int depth = ihdr[8], colour = ihdr[9];
  if (width == 0 || height == 0 || width > (1u << 24) || height > (1u << 24)) return std::nullopt;
  if ((depth != 8 && depth != 16) || ihdr[10] != 0 || ihdr[11] != 0 || ihdr[12] != 0)
    return std::nullopt;
  const int channels = colour == 0 ? 1 : colour == 4 ? 2 : colour == 2 ? 3 : colour == 6 ? 4 : 0;
  if (channels == 0) return std::nullopt;
  return CommonHeader{width, height, channels, depth / 8};
}

// The zlib stream of every IDAT chunk, in order, when the file holds nothing that stb would
// treat differently: a palette, a transparency key, Apple's CgBI, another critical chunk.
std::optional<std::vector<uint8_t>> image_data(const uint8_t* data, size_t size, size_t pos) {
  std::vector<uint8_t> stream;
  while (size - pos >= 12) {
    const uint32_t length = big_endian(data + pos);
    const uint8_t* type = data + pos + 4;
    if (length > size - pos - 12) return std::nullopt;  // truncated
    if (is_chunk(type, "IEND")) return stream;
    if (is_chunk(type, "IDAT")) {
      stream.insert(stream.end(), data + pos + 8, data + pos + 8 + length);
    } else if ((type[0] & 0x20) == 0) {  // critical: PLTE, a second IHDR, anything unknown
      return std::nullopt;
    } else if (is_chunk(type, "tRNS")) {
      return std::nullopt;
    }
    pos += 12 + size_t{length};
  }
  return std::nullopt;  // no IEND
}

// The Paeth predictor without branches (a row's bytes are noise to a branch predictor): the
// spec's choice of a, then b, then c, among the nearest to a + b - c.
uint8_t paeth(int a, int b, int c) {
  const int pa = std::abs(b - c), pb = std::abs(a - c), pc = std::abs(a + b - 2 * c);
  const int b_or_c = pb <= pc ? b : c;
  const bool a_nearest = (pa <= pb) & (pa <= pc);
  return static_cast<uint8_t>(a_nearest ? a : b_or_c);
}

// The filters that read the pixel to the left, a byte at a time (1-, 2-, 6- and 8-byte pixels).
template <int Bpp>
void left_filters_by_byte(int filter, const uint8_t* in, const uint8_t* prior, uint8_t* row,
                          size_t length) {
  for (size_t i = 0; i < length; ++i) {
    const int a = i >= Bpp ? row[i - Bpp] : 0, c = i >= Bpp ? prior[i - Bpp] : 0;
    const int predicted = filter == 1   ? a
                          : filter == 3 ? (a + prior[i]) >> 1
                                        : paeth(a, prior[i], c);
    row[i] = static_cast<uint8_t>(in[i] + predicted);
  }
}

#ifdef __SSE2__
// A pixel's bytes through a register (a 3-byte memcpy into a zeroed word went through the
// stack, and the wider load behind the narrow stores stalled every pixel).
template <int Bpp>
uint32_t read_pixel(const uint8_t* p) {
  if constexpr (Bpp == 4) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  } else {
    uint16_t low;
    std::memcpy(&low, p, 2);
    return low | uint32_t{p[2]} << 16;
  }
}

template <int Bpp>
void write_pixel(uint8_t* p, uint32_t v) {
  if constexpr (Bpp == 4) {
    std::memcpy(p, &v, 4);
  } else {
    const auto low = static_cast<uint16_t>(v);
    std::memcpy(p, &low, 2);
    p[2] = static_cast<uint8_t>(v >> 16);
  }
}

template <int Bpp>
__m128i load_pixel(const uint8_t* p) {
  return _mm_unpacklo_epi8(_mm_cvtsi32_si128(static_cast<int>(read_pixel<Bpp>(p))),
                           _mm_setzero_si128());
}

__m128i absolute(__m128i v) { return _mm_max_epi16(v, _mm_sub_epi16(_mm_setzero_si128(), v)); }

__m128i select(__m128i mask, __m128i if_set, __m128i if_clear) {
  return _mm_or_si128(_mm_and_si128(mask, if_set), _mm_andnot_si128(mask, if_clear));
}

// The left-reading filters for 3- and 4-byte pixels, a pixel's channels side by side in 16-bit
// lanes and the pixel to the left kept in a register: each pixel waits on the one before it,
// so its channels are what can run at once.
template <int Bpp, int Filter>
void left_filters_by_pixel(const uint8_t* in, const uint8_t* prior, uint8_t* row, size_t length) {
  __m128i a = _mm_setzero_si128(), c = _mm_setzero_si128();
  for (size_t i = 0; i < length; i += Bpp) {
    const __m128i b = load_pixel<Bpp>(prior + i);
    __m128i predicted;
    if constexpr (Filter == 1) {
      predicted = a;
    } else if constexpr (Filter == 3) {
      predicted = _mm_srli_epi16(_mm_add_epi16(a, b), 1);
    } else {
      const __m128i b_minus_c = _mm_sub_epi16(b, c), a_minus_c = _mm_sub_epi16(a, c);
      const __m128i pa = absolute(b_minus_c), pb = absolute(a_minus_c);
      const __m128i pc = absolute(_mm_add_epi16(b_minus_c, a_minus_c));
      const __m128i smallest = _mm_min_epi16(pc, _mm_min_epi16(pa, pb));
      predicted =
          select(_mm_cmpeq_epi16(pa, smallest), a, select(_mm_cmpeq_epi16(pb, smallest), b, c));
    }
    a = _mm_and_si128(_mm_add_epi16(load_pixel<Bpp>(in + i), predicted), _mm_set1_epi16(0xff));
    write_pixel<Bpp>(row + i, static_cast<uint32_t>(_mm_cvtsi128_si32(_mm_packus_epi16(a, a))));
    c = b;
  }
}
#endif

// One row's filter undone, `Bpp` bytes a pixel; `prior` is the row above (zeros for the
// first). `row` may start below `in` in the same buffer: every byte is read before a byte at
// or above it is written.
template <int Bpp>
void unfilter_row(int filter, const uint8_t* in, const uint8_t* prior, uint8_t* row,
                  size_t length) {
  if (filter == 0) {
    std::memmove(row, in, length);
  } else if (filter == 2) {
    for (size_t i = 0; i < length; ++i) row[i] = static_cast<uint8_t>(in[i] + prior[i]);
  } else {
#ifdef __SSE2__
    if constexpr (Bpp == 3 || Bpp == 4) {
      if (filter == 1) return left_filters_by_pixel<Bpp, 1>(in, prior, row, length);
      if (filter == 3) return left_filters_by_pixel<Bpp, 3>(in, prior, row, length);
      return left_filters_by_pixel<Bpp, 4>(in, prior, row, length);
    }
#endif
    left_filters_by_byte<Bpp>(filter, in, prior, row, length);
  }
}

// Every row's filter undone in place: row y (its filter byte, then `stride` bytes) becomes
// the bytes at y * stride. False on a filter type above 4.
template <int Bpp>
bool unfilter(uint8_t* raw, uint32_t height, size_t stride) {
  const std::vector<uint8_t> zeros(stride, 0);
  for (uint32_t y = 0; y < height; ++y) {
    const uint8_t* in = raw + y * (stride + 1);
    const int filter = in[0];
    if (filter > 4) return false;
    uint8_t* row = raw + y * stride;
    unfilter_row<Bpp>(filter, in + 1, y == 0 ? zeros.data() : row - stride, row, stride);
  }
  return true;
}

struct Decompressor {
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};

}  // namespace

bool available() { return true; }

std::optional<DecodedPixels> decode_common(const uint8_t* data, size_t size) {
  static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (size < 8 + 25 || std::memcmp(data, signature, 8) != 0) return std::nullopt;
  if (big_endian(data + 8) != 13 || !is_chunk(data + 12, "IHDR")) return std::nullopt;
  const auto header = common_header(data + 16);
  if (!header) return std::nullopt;
  const auto stream = image_data(data, size, 8 + 25);
  if (!stream) return std::nullopt;
  const size_t pixel_bytes = size_t(header->channels) * header->sample_bytes;
  const size_t stride = size_t{header->width} * pixel_bytes;
  const size_t raw_size = size_t{header->height} * (stride + 1);
  // Deflate expands at most 1032-fold: a header promising more than its stream can hold is
  // stb's to refuse, before anything is allocated for it.
  if (raw_size / 1032 > stream->size() + 64) return std::nullopt;
  DecodedPixels decoded;
  decoded.pixels.resize(raw_size);
  uint8_t* raw = decoded.pixels.data();
  thread_local std::unique_ptr<libdeflate_decompressor, Decompressor> decompressor(
      libdeflate_alloc_decompressor());
  if (!decompressor) return std::nullopt;
  // Exactly the rows the header promises: too few or too many pixels is stb's to report.
  if (libdeflate_zlib_decompress(decompressor.get(), stream->data(), stream->size(), raw, raw_size,
                                 nullptr) != LIBDEFLATE_SUCCESS)
    return std::nullopt;
  const uint32_t h = header->height;
  const bool ok = pixel_bytes == 1   ? unfilter<1>(raw, h, stride)
                  : pixel_bytes == 2 ? unfilter<2>(raw, h, stride)
                  : pixel_bytes == 3 ? unfilter<3>(raw, h, stride)
                  : pixel_bytes == 4 ? unfilter<4>(raw, h, stride)
                  : pixel_bytes == 6 ? unfilter<6>(raw, h, stride)
                                     : unfilter<8>(raw, h, stride);
  if (!ok) return std::nullopt;
  const size_t samples = size_t{h} * header->width * header->channels;
  if (header->sample_bytes == 2) {  // each sample's high byte, as stb reduces it
    for (size_t i = 0; i < samples; ++i) raw[i] = raw[2 * i];
  }
  decoded.pixels.resize(samples);
  if (header->sample_bytes == 2) decoded.pixels.shrink_to_fit();  // half of it is spare now
  decoded.width = static_cast<int>(header->width);
  decoded.height = static_cast<int>(h);
  decoded.channels = header->channels;
  return decoded;
}

#else

bool available() { return false; }

std::optional<DecodedPixels> decode_common(const uint8_t*, size_t) { return std::nullopt; }

#endif

}  // namespace mae::png
