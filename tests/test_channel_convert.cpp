// Why: the channel conversion replaced a float computation with integers; these checks hold
// it to the exact rational results (rounded, halves up) for every sample and alpha, so a
// faster rewrite cannot drift by a level.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "data/channel_convert.h"

using namespace mae;

namespace {

// A rational n / d rounded to the nearest integer, halves up.
int rounded(int64_t n, int64_t d) { return static_cast<int>(std::floor(double(n) / d + 0.5)); }

int64_t over_white_x255(int v, int a) { return int64_t{v} * a + 255 * (255 - a); }

}  // namespace

TEST_CASE("a sample laid over white is exact for every value and alpha, gray or color") {
  std::vector<uint8_t> gray_alpha, rgba;
  for (int v = 0; v < 256; ++v)
    for (int a = 0; a < 256; ++a) {
      gray_alpha.push_back(static_cast<uint8_t>(v));
      gray_alpha.push_back(static_cast<uint8_t>(a));
      for (int k = 0; k < 3; ++k) rgba.push_back(static_cast<uint8_t>(v));
      rgba.push_back(static_cast<uint8_t>(a));
    }
  const int64_t count = 256 * 256;
  std::vector<uint8_t> to_gray(count), to_rgb(3 * count), rgba_to_rgb(3 * count);
  convert_pixel_bytes(gray_alpha.data(), 2, to_gray.data(), 1, count);
  convert_pixel_bytes(gray_alpha.data(), 2, to_rgb.data(), 3, count);
  convert_pixel_bytes(rgba.data(), 4, rgba_to_rgb.data(), 3, count);
  int wrong = 0;
  for (int64_t i = 0; i < count; ++i) {
    const int expected = rounded(over_white_x255(int(i / 256), int(i % 256)), 255);
    wrong += to_gray[i] != expected;
    for (int k = 0; k < 3; ++k)
      wrong += (to_rgb[3 * i + k] != expected) + (rgba_to_rgb[3 * i + k] != expected);
  }
  CHECK(wrong == 0);
  CHECK(to_gray[0 * 256 + 0] == 255);    // transparent black is white
  CHECK(to_gray[10 * 256 + 255] == 10);  // opaque keeps its value
  CHECK(to_gray[0 * 256 + 128] == 127);  // 255 * 127 / 255
}

TEST_CASE("gray from RGB and RGBA weighs 0.299, 0.587 and 0.114, exactly rounded") {
  std::mt19937 random(7);
  const int64_t count = 200000;
  std::vector<uint8_t> rgb(3 * count), rgba(4 * count);
  for (auto& v : rgb) v = static_cast<uint8_t>(random());
  for (auto& v : rgba) v = static_cast<uint8_t>(random());
  // A half: 114 * 250 = 28500, so (0, 0, 250) is 28.5 and rounds up.
  rgb[0] = 0, rgb[1] = 0, rgb[2] = 250;
  std::vector<uint8_t> from_rgb(count), from_rgba(count), gray_to_rgb(3 * count);
  convert_pixel_bytes(rgb.data(), 3, from_rgb.data(), 1, count);
  convert_pixel_bytes(rgba.data(), 4, from_rgba.data(), 1, count);
  int wrong = 0;
  for (int64_t i = 0; i < count; ++i) {
    const uint8_t* p = &rgb[3 * i];
    wrong += from_rgb[i] != rounded(299 * p[0] + 587 * p[1] + 114 * p[2], 1000);
    const uint8_t* q = &rgba[4 * i];
    const int64_t y = 299 * over_white_x255(q[0], q[3]) + 587 * over_white_x255(q[1], q[3]) +
                      114 * over_white_x255(q[2], q[3]);
    wrong += from_rgba[i] != rounded(y, 255000);
  }
  CHECK(wrong == 0);
  CHECK(from_rgb[0] == 29);
  convert_pixel_bytes(rgb.data(), 1, gray_to_rgb.data(), 3, count);
  wrong = 0;
  for (int64_t i = 0; i < count; ++i)
    for (int k = 0; k < 3; ++k) wrong += gray_to_rgb[3 * i + k] != rgb[i];
  CHECK(wrong == 0);
}
