// Why: photos are mostly JPEG, and a 12-MP JPEG decoded at full size only to be shrunk to
// a few hundred pixels wastes most of the loader's time and memory. libjpeg-turbo decodes
// in the DCT domain at 1/2, 1/4 or 1/8 scale; we pick the smallest scale that still covers
// the size the crop needs, so decoding costs about as much as the pixels we keep.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/decoded_pixels.h"

namespace mae::jpeg {

bool available();  // false when built without libjpeg-turbo (JPEG is refused then)
bool looks_like_jpeg(const uint8_t* data, size_t size);

using Header = PictureSize;
// Reads the frame header only. Returns nullopt and sets `reason` for a broken header.
std::optional<Header> read_header(const uint8_t* data, size_t size, std::string* reason);

// The denominator d in {1, 2, 4, 8} of the smallest scale 1/d whose decoded shorter side is
// still at least `min_short_side` (0: full size). libjpeg-turbo rounds a scaled side up.
int pick_scale_denominator(int width, int height, int64_t min_short_side);
int scaled_side(int side, int denominator);

using Decoded = DecodedPixels;
// Decodes at scale 1/denominator to `channels`, 1 (gray) or 3 (RGB); CMYK and YCCK JPEGs come
// back as RGB whatever `channels` says, converted as PIL converts them (a gray copy is the
// caller's, as for any colour picture). Returns nullopt and sets `reason` for corrupt or
// truncated data.
std::optional<Decoded> decode(const uint8_t* data, size_t size, int channels, int denominator,
                              std::string* reason);

// Encodes interleaved 8-bit pixels at `quality`: tests make photos with it. 1 channel is gray,
// 3 RGB, 4 CMYK (a YCCK JPEG, whose values are stored as given, as Adobe's inverted CMYK).
std::vector<uint8_t> encode(const uint8_t* pixels, int width, int height, int channels,
                            int quality);

}  // namespace mae::jpeg
