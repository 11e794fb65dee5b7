// Why: the exact rational results in integers: a sample v with alpha a over white is
// (v a + 255 (255 - a)) / 255, whose halves never occur (255 is odd), and gray weighs the
// three such numerators by 299, 587 and 114 thousandths.
#include "data/channel_convert.h"

namespace mae {

namespace {

// 255 times a sample laid over white by its alpha.
inline uint32_t over_white_x255(uint32_t v, uint32_t a) { return v * a + 255 * (255 - a); }

inline uint8_t over_white(uint32_t v, uint32_t a) {
  return static_cast<uint8_t>((over_white_x255(v, a) + 127) / 255);
}

inline uint8_t gray_of(uint32_t r, uint32_t g, uint32_t b) {
  return static_cast<uint8_t>((299 * r + 587 * g + 114 * b + 500) / 1000);
}

}  // namespace

void convert_pixel_bytes(const uint8_t* in, int src, uint8_t* out, int dst, int64_t count) {
  if (src == dst) {
    for (int64_t i = 0; i < count * src; ++i) out[i] = in[i];
  } else if (src == 1) {  // to RGB
    for (int64_t i = 0; i < count; ++i) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = in[i];
  } else if (src == 2 && dst == 1) {
    for (int64_t i = 0; i < count; ++i) out[i] = over_white(in[2 * i], in[2 * i + 1]);
  } else if (src == 2) {
    for (int64_t i = 0; i < count; ++i)
      out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = over_white(in[2 * i], in[2 * i + 1]);
  } else if (src == 3) {  // to gray
    for (int64_t i = 0; i < count; ++i) out[i] = gray_of(in[3 * i], in[3 * i + 1], in[3 * i + 2]);
  } else if (dst == 3) {  // RGBA to RGB
    for (int64_t i = 0; i < count; ++i) {
      const uint32_t a = in[4 * i + 3];
      if (a == 255) {  // most photos' alpha: the division is the loop's cost
        for (int k = 0; k < 3; ++k) out[3 * i + k] = in[4 * i + k];
      } else {
        for (int k = 0; k < 3; ++k) out[3 * i + k] = over_white(in[4 * i + k], a);
      }
    }
  } else {  // RGBA to gray: the weights applied to the unrounded composites
    for (int64_t i = 0; i < count; ++i) {
      const uint32_t a = in[4 * i + 3];
      const uint32_t y = 299 * over_white_x255(in[4 * i], a) +
                         587 * over_white_x255(in[4 * i + 1], a) +
                         114 * over_white_x255(in[4 * i + 2], a);
      out[i] = static_cast<uint8_t>((y + 127500) / 255000);
    }
  }
}

}  // namespace mae
