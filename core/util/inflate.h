// Why: deflate streams arrive from users' files (deflated .pth entries, gzip'd IDX files), and
// a few hundred bytes can inflate to gigabytes. zlib does the work; every call names the most
// it may produce, and a stream that would exceed it is refused instead of filling memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mae {

enum class InflateFormat { Raw, Gzip };

// Inflates `size` bytes into `out`, producing at most `max_output` bytes. Returns an empty
// string on success, otherwise what is wrong ("corrupt deflate data", "inflates to more
// than 1073741824 bytes", "truncated stream").
std::string inflate_capped(const uint8_t* data, size_t size, InflateFormat format,
                           size_t max_output, std::vector<uint8_t>* out);

}  // namespace mae
