// Why: each picture format's decoder (libjpeg-turbo, libwebp, libtiff, our PNM reader) hands
// the loader the same two things, so one path turns any of them into the loader's tensor.
#pragma once

#include <cstdint>
#include <vector>

namespace mae {

// A picture's width and height as its header gives them (upright where the format says so).
struct PictureSize {
  int width = 0;
  int height = 0;
};

// Interleaved 8-bit pixels, as a decoder gives them.
struct DecodedPixels {
  std::vector<uint8_t> pixels;  // (H, W, channels)
  int width = 0;
  int height = 0;
  int channels = 0;
  int orientation = 1;  // EXIF's values: how to turn the pixels upright (1: as they are)
};

}  // namespace mae
