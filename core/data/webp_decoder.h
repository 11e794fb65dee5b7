// Why: pictures saved from the web are often WebP, and torchvision's ImageFolder (through
// PIL) reads .webp files, so a folder the authors' loader trains on would otherwise train
// here on fewer pictures. libwebp decodes them; without it (MAE_HAVE_WEBP unset) they are
// refused with a message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/decoded_pixels.h"

namespace mae::webp {

bool available();                                        // false when built without libwebp
bool looks_like_webp(const uint8_t* data, size_t size);  // "RIFF", a size, "WEBP"

using Header = PictureSize;
// Reads the header only (an animated file's canvas size). Returns nullopt and sets `reason`
// for a broken file.
std::optional<Header> read_header(const uint8_t* data, size_t size, std::string* reason);

using Decoded = DecodedPixels;
// Decodes a WebP (lossy or lossless) to 3 channels, or 4 when the file has alpha; of an
// animated one, its first frame, which is what PIL (and so torchvision's loader) reads.
// Returns nullopt and sets `reason` for corrupt or truncated files.
std::optional<Decoded> decode(const uint8_t* data, size_t size, std::string* reason);

// Encodes interleaved 8-bit RGB (3 channels) or RGBA (4), lossy at `quality` (0-100) or
// lossless when it is negative: tests make pictures with it. Empty without libwebp.
std::vector<uint8_t> encode(const uint8_t* pixels, int width, int height, int channels,
                            float quality);

}  // namespace mae::webp
