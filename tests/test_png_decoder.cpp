// Why: the common PNGs no longer go through stb, so these hold the new reader to stb's pixels
// for every row filter and pixel width, 8- and 16-bit, and check that every PNG it does not
// read (other kinds, damage of each sort) is declined and left to stb, whose verdict is
// unchanged.
#include <doctest/doctest.h>
#include <torch/torch.h>
#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "data/image_io.h"
#include "data/photo_decode.h"
#include "data/png_decoder.h"
#include "data/stb_backend.h"
#include "test_support.h"

using namespace mae;

namespace {

// The spec's predictor, written as the spec gives it.
int spec_paeth(int a, int b, int c) {
  const int p = a + b - c;
  const int pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  if (pb <= pc) return b;
  return c;
}

// Rows filtered as the spec says, each with filter `filter_of(y)`.
std::vector<uint8_t> filtered_rows(const std::vector<uint8_t>& pixels, int w, int h, int channels,
                                   int (*filter_of)(int)) {
  const size_t stride = size_t(w) * channels;
  std::vector<uint8_t> rows;
  for (int y = 0; y < h; ++y) {
    const int filter = filter_of(y);
    rows.push_back(static_cast<uint8_t>(filter));
    for (size_t i = 0; i < stride; ++i) {
      const int x = pixels[y * stride + i];
      const int a = i >= size_t(channels) ? pixels[y * stride + i - channels] : 0;
      const int b = y > 0 ? pixels[(y - 1) * stride + i] : 0;
      const int c = y > 0 && i >= size_t(channels) ? pixels[(y - 1) * stride + i - channels] : 0;
      const int predicted = filter == 0   ? 0
                            : filter == 1 ? a
                            : filter == 2 ? b
                            : filter == 3 ? (a + b) / 2
                                          : spec_paeth(a, b, c);
      rows.push_back(static_cast<uint8_t>(x - predicted));
    }
  }
  return rows;
}

std::vector<uint8_t> zlib_of(const std::vector<uint8_t>& bytes) {
  uLongf size = compressBound(bytes.size());
  std::vector<uint8_t> packed(size);
  REQUIRE(compress2(packed.data(), &size, bytes.data(), bytes.size(), 6) == Z_OK);
  packed.resize(size);
  return packed;
}

uint8_t colour_type_of(int channels) {
  return channels == 1 ? 0 : channels == 2 ? 4 : channels == 3 ? 2 : 6;
}

// A PNG of these rows, its stream cut into IDAT chunks of `piece` bytes.
std::vector<uint8_t> png_of(int w, int h, uint8_t colour_type, const std::vector<uint8_t>& stream,
                            size_t piece = 97, uint8_t depth = 8) {
  auto png = png_start(w, h, colour_type, depth);
  append_png_chunk(&png, "tEXt", {'K', 0, 'v'});  // ancillary: read past
  for (size_t at = 0; at < stream.size(); at += piece) {
    const auto end =
        stream.begin() + static_cast<std::ptrdiff_t>(std::min(stream.size(), at + piece));
    append_png_chunk(&png, "IDAT", {stream.begin() + static_cast<std::ptrdiff_t>(at), end});
  }
  append_png_chunk(&png, "IEND", {});
  return png;
}

// Smooth ramps with noise, or a few coarse levels at random, where the predictor's ties (c
// halfway between a and b, or equal to one) are common: every choice it makes, in its order
// of preference, is met.
std::vector<uint8_t> picture(int w, int h, int channels, unsigned seed, bool coarse) {
  std::mt19937 random(seed);
  std::vector<uint8_t> pixels;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < channels; ++k)
        pixels.push_back(coarse ? static_cast<uint8_t>(random() % 5 * 50)
                                : static_cast<uint8_t>(x * 7 + y * 3 * (k + 1) + random() % 9));
  return pixels;
}

int cycling(int y) { return y % 5; }
int cycling_backwards(int y) { return 4 - y % 5; }

std::vector<uint8_t> stb_pixels(const std::vector<uint8_t>& png) {
  stb::ImageInfo info;
  std::string reason;
  REQUIRE(stb::probe(png.data(), png.size(), &info, &reason));
  uint8_t* raw = stb::decode_8bit(png.data(), png.size(), info, &reason);
  REQUIRE(raw != nullptr);
  std::vector<uint8_t> out(raw, raw + size_t(info.width) * info.height * info.channels);
  stb::free_pixels(raw);
  return out;
}

// A common 8-bit RGB PNG whose rows the tests below damage.
struct Plain {
  int w = 13, h = 6;
  std::vector<uint8_t> pixels = picture(13, 6, 3, 1, false);
  std::vector<uint8_t> rows = filtered_rows(pixels, 13, 6, 3, cycling);
};

std::string outcome_of_stb(const std::vector<uint8_t>& png) {
  try {
    decode_photo(png, 3, 0);
    return "decoded";
  } catch (const ImageError& e) {
    return e.what();
  }
}

}  // namespace

TEST_CASE("the common PNGs read as stb reads them, for every row filter and pixel width") {
  REQUIRE_MESSAGE(png::available(), "built without libdeflate (the set-up script installs it)");
  // Sizes include one and two pixels wide and tall ones: rows are undone in place, and a row
  // lands below its own filtered bytes by as much as its number.
  const std::vector<std::pair<int, int>> sizes = {{1, 1},   {2, 3},  {31, 9},
                                                  {64, 40}, {1, 40}, {2, 40}};
  int checked = 0;
  for (int channels = 1; channels <= 4; ++channels)
    for (const auto& [w, h] : sizes)
      for (auto* filter_of : {&cycling, &cycling_backwards}) {
        CAPTURE(channels);
        CAPTURE(w);
        CAPTURE(h);
        const bool coarse = filter_of == &cycling_backwards;
        const auto pixels =
            picture(w, h, channels, static_cast<unsigned>(w * h + channels), coarse);
        const auto png = png_of(w, h, colour_type_of(channels),
                                zlib_of(filtered_rows(pixels, w, h, channels, filter_of)));
        const auto decoded = png::decode_common(png.data(), png.size());
        REQUIRE(decoded.has_value());
        CHECK(decoded->width == w);
        CHECK(decoded->height == h);
        CHECK(decoded->channels == channels);
        CHECK((decoded->pixels == pixels));
        CHECK((stb_pixels(png) == pixels));
        ++checked;
      }
  CHECK(checked == 48);
}

TEST_CASE("16-bit common PNGs read as stb reads them: each sample's high byte") {
  REQUIRE_MESSAGE(png::available(), "built without libdeflate (the set-up script installs it)");
  int checked = 0;
  for (int channels = 1; channels <= 4; ++channels)
    for (const auto& [w, h] : std::vector<std::pair<int, int>>{{1, 1}, {31, 9}, {2, 40}})
      for (auto* filter_of : {&cycling, &cycling_backwards}) {
        CAPTURE(channels);
        CAPTURE(w);
        CAPTURE(h);
        // Big-endian samples: a pixel is 2 x channels bytes, and the filters work on bytes.
        const auto samples = picture(w, h, 2 * channels, static_cast<unsigned>(w + channels),
                                     filter_of == &cycling_backwards);
        std::vector<uint8_t> high;
        for (size_t i = 0; i < samples.size(); i += 2) high.push_back(samples[i]);
        const auto png =
            png_of(w, h, colour_type_of(channels),
                   zlib_of(filtered_rows(samples, w, h, 2 * channels, filter_of)), 97, 16);
        const auto decoded = png::decode_common(png.data(), png.size());
        REQUIRE(decoded.has_value());
        CHECK(decoded->channels == channels);
        CHECK((decoded->pixels == high));
        CHECK((stb_pixels(png) == high));
        ++checked;
      }
  CHECK(checked == 24);
  const auto gray = png16_gray_2x1(0x1234, 0xfedc);
  const auto decoded = png::decode_common(gray.data(), gray.size());
  REQUIRE(decoded.has_value());
  CHECK((decoded->pixels == std::vector<uint8_t>{0x12, 0xfe}));
}

TEST_CASE("a PNG outside the common case is declined, and stb reads it as before") {
  REQUIRE_MESSAGE(png::available(), "built without libdeflate (the set-up script installs it)");
  const Plain plain;
  const auto common = png_of(plain.w, plain.h, 2, zlib_of(plain.rows));
  REQUIRE(png::decode_common(common.data(), common.size()).has_value());

  // A palette: indices 0..3 into four colours.
  auto palette = png_start(4, 1, 3);
  append_png_chunk(&palette, "PLTE", {255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9});
  append_png_chunk(&palette, "IDAT", zlib_of({0, 0, 1, 2, 3}));
  append_png_chunk(&palette, "IEND", {});
  // Adam7 interlacing (one pixel: the first pass only).
  auto interlaced = png_start(1, 1, 2, 8, 1);
  append_png_chunk(&interlaced, "IDAT", zlib_of({0, 10, 20, 30}));
  append_png_chunk(&interlaced, "IEND", {});
  // A transparency key on RGB.
  auto keyed = png_start(plain.w, plain.h, 2);
  append_png_chunk(&keyed, "tRNS", {0, 1, 0, 2, 0, 3});
  append_png_chunk(&keyed, "IDAT", zlib_of(plain.rows));
  append_png_chunk(&keyed, "IEND", {});
  for (const auto& [name, png] : std::vector<std::pair<std::string, std::vector<uint8_t>>>{
           {"palette", palette}, {"interlaced", interlaced}, {"transparency key", keyed}}) {
    CAPTURE(name);
    CHECK_FALSE(png::decode_common(png.data(), png.size()).has_value());
    CHECK(outcome_of_stb(png) == "decoded");
  }
  auto palette_pixels = decode_photo(palette, 3, 0).pixels.flatten();
  CHECK(palette_pixels[3].item<int>() == 0);  // the second pixel is colour 1, green
  CHECK(palette_pixels[4].item<int>() == 255);
}

TEST_CASE("a damaged common PNG is declined, before anything is allocated for a lying header") {
  REQUIRE_MESSAGE(png::available(), "built without libdeflate (the set-up script installs it)");
  const Plain plain;
  auto stream = zlib_of(plain.rows);
  std::vector<std::pair<std::string, std::vector<uint8_t>>> damaged;
  auto bad_filter_rows = plain.rows;
  bad_filter_rows[0] = 5;
  damaged.push_back({"filter type 5", png_of(plain.w, plain.h, 2, zlib_of(bad_filter_rows))});
  auto short_rows = plain.rows;
  short_rows.resize(short_rows.size() - 3 * plain.w - 1);
  damaged.push_back({"a row short", png_of(plain.w, plain.h, 2, zlib_of(short_rows))});
  auto long_rows = plain.rows;
  long_rows.insert(long_rows.end(), plain.rows.begin(), plain.rows.begin() + 3 * plain.w + 1);
  damaged.push_back({"a row too many", png_of(plain.w, plain.h, 2, zlib_of(long_rows))});
  auto bad_checksum = stream;
  bad_checksum.back() ^= 1;
  damaged.push_back({"Adler-32 wrong", png_of(plain.w, plain.h, 2, bad_checksum)});
  auto whole = png_of(plain.w, plain.h, 2, stream);
  damaged.push_back({"cut in its data", {whole.begin(), whole.begin() + 80}});
  damaged.push_back({"no IEND", {whole.begin(), whole.end() - 12}});
  auto unknown_critical = png_start(plain.w, plain.h, 2);
  append_png_chunk(&unknown_critical, "ZZZZ", {1, 2, 3});
  append_png_chunk(&unknown_critical, "IDAT", stream);
  append_png_chunk(&unknown_critical, "IEND", {});
  damaged.push_back({"unknown critical chunk", unknown_critical});
  auto liar = png_start(1 << 24, 1 << 24, 6);  // 1 PB of rows promised by 60 bytes
  append_png_chunk(&liar, "IDAT", stream);
  append_png_chunk(&liar, "IEND", {});
  damaged.push_back({"lying header", liar});
  for (const auto& [name, png] : damaged) {
    CAPTURE(name);
    CHECK_FALSE(png::decode_common(png.data(), png.size()).has_value());
    const std::string verdict = outcome_of_stb(png);  // stb's, whatever it is; never a crash
    CHECK(!verdict.empty());
  }
  CHECK(outcome_of_stb(damaged[0].second).find("PNG") != std::string::npos);
}

TEST_CASE("an 8-bit PNG opened in the explorer is the picture training decodes, alpha included") {
  const auto pixels = picture(9, 7, 4, 5, true);
  const auto png = png_of(9, 7, 6, zlib_of(filtered_rows(pixels, 9, 7, 4, cycling)));
  for (int64_t channels : {1, 3}) {
    CAPTURE(channels);
    const auto trained = to_unit_chw(decode_photo(png, channels, 0).pixels);
    CHECK(torch::equal(decode_image(png, channels), trained));
  }
}
