// Why: a PNG's first-pass cost is its inflate and its row filters, and stb does both a byte at
// a time (libpng and libspng, on zlib, were no faster here). libdeflate inflates 2.4 times as
// fast as zlib, so the PNGs nearly every camera, phone, scanner and screenshot tool writes
// (8- or 16-bit gray, gray+alpha, RGB or RGBA, not interlaced) are read here; stb still reads
// every other PNG, and names what is wrong with a damaged one, so its behaviour and messages
// stay the reference.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "data/decoded_pixels.h"

namespace mae::png {

bool available();  // false when built without libdeflate: stb then reads every PNG

// The pixels as stored (1 to 4 channels, stb's order and values: a 16-bit sample's high byte)
// of an 8- or 16-bit, non-interlaced gray, gray+alpha, RGB or RGBA PNG without a palette or
// transparency chunk. nullopt for any other PNG and for any damage (a truncated chunk, a bad
// checksum, too few or too many pixels): the caller then asks stb, which reads it or says why
// not.
std::optional<DecodedPixels> decode_common(const uint8_t* data, size_t size);

}  // namespace mae::png
