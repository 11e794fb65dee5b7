// Why: torchvision's ImageFolder (through PIL) reads .ppm and .pgm files, and scientific and
// teaching data often comes as Netpbm, so a folder the authors' loader trains on would
// otherwise train here on fewer pictures. The format is simple enough to read ourselves,
// with every size checked against the file before anything is allocated (stb's PNM reader
// has known memory bugs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/decoded_pixels.h"

namespace mae::pnm {

// "P1" to "P6" and a whitespace byte: PBM, PGM and PPM, plain (text) or raw (binary).
bool looks_like_pnm(const uint8_t* data, size_t size);

struct Header {
  int width = 0;
  int height = 0;
  int channels = 0;     // 1 (PBM, PGM) or 3 (PPM)
  int maxval = 1;       // 1 for PBM
  bool plain = false;   // P1, P2, P3: numbers written as text
  bool bitmap = false;  // P1, P4: one bit a pixel, 1 black
  size_t data_offset = 0;
};
// Reads the header as PIL does (tokens of at most 10 characters, '#' comments to the end of
// the line, maxval 1 to 65535). Returns nullopt and sets `reason` for a broken header.
std::optional<Header> read_header(const uint8_t* data, size_t size, std::string* reason);

using Decoded = DecodedPixels;
// Decodes to 8 bits, 1 channel (PBM, PGM) or 3 (PPM), as PIL does: a sample v of maxval m becomes
// round(v / m * 255), rounding half to even; PBM's 1 is black. A 16-bit PGM is scaled the same way
// (PIL keeps it as 32-bit integers, and its conversion to RGB clips them: nearly white). Returns
// nullopt and sets `reason` for a truncated file or a bad sample.
std::optional<Decoded> decode(const uint8_t* data, size_t size, std::string* reason);

}  // namespace mae::pnm
