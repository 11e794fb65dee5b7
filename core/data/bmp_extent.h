// Why: stb reads past the end of a BMP as zeros, so a file cut short (a partial download, or
// 58 bytes whose header claims 1.5 million pixels) would decode "successfully" into black
// rows and train the model on them. An uncompressed BMP's header says exactly how many bytes
// of pixels follow, so the check needs nothing but the header. A bit depth stb cannot read
// is refused here too, before stb allocates the whole image only to fail.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace mae::stb {

// For a BMP of width x height pixels (as stb read them from the header): "" when the file
// holds every byte of pixels its header promises, at a bit depth stb reads, else a one-line
// reason ("truncated BMP (...)", "unsupported BMP (...)"). Compressions stb refuses by name
// are left to stb.
std::string bmp_header_problem(const uint8_t* data, size_t size, int width, int height);

}  // namespace mae::stb
