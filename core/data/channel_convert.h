// Why: a decoder gives the channels its file stores (gray, gray+alpha, RGB, RGBA) and a
// model wants 1 or 3; the conversion touches every pixel of every picture of a folder's first
// pass, so it is exact integer arithmetic that the compiler vectorises, not a float and a
// rounding call a sample (which took 29 % of an RGBA PNG folder's first pass).
#pragma once

#include <cstdint>

namespace mae {

// Interleaved 8-bit pixels with `src` channels (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA) to
// `dst` channels (1 or 3), `count` pixels. Alpha is laid over white; gray is
// 0.299 R + 0.587 G + 0.114 B. Every value is the exact result rounded to the nearest
// integer (halves up), as if computed with rationals.
void convert_pixel_bytes(const uint8_t* in, int src, uint8_t* out, int dst, int64_t count);

}  // namespace mae
