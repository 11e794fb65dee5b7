// Why: torchvision's ImageFolder (through PIL) reads .tif and .tiff files, which scanners,
// microscopes and archives write, so a folder the authors' loader trains on would otherwise
// train here on fewer pictures. libtiff decodes them, inside a memory cap and with its
// messages caught; without it (MAE_HAVE_TIFF unset) they are refused with a message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/decoded_pixels.h"

namespace mae::tiff {

bool available();  // false when built without libtiff
// "II*\0" or "MM\0*" (classic TIFF), "II+\0" or "MM\0+" (BigTIFF).
bool looks_like_tiff(const uint8_t* data, size_t size);

using Header = PictureSize;
// Reads the first picture's size, upright (a picture stored on its side has its width and
// height swapped). Returns nullopt and sets `reason` for a broken file.
std::optional<Header> read_header(const uint8_t* data, size_t size, std::string* reason);

using Decoded = DecodedPixels;
// Decodes the first picture of the file (1 channel for a gray picture, else 3), its rows as
// stored and its Orientation tag in `orientation` (PIL 12 turns a TIFF upright when it loads
// it; so does the loader), with alpha laid over white; 16-bit samples keep their high byte.
// No single allocation of libtiff's may exceed `max_allocation` bytes. Returns nullopt and
// sets `reason` for corrupt, truncated or unsupported files.
std::optional<Decoded> decode(const uint8_t* data, size_t size, size_t max_allocation,
                              std::string* reason);

}  // namespace mae::tiff
