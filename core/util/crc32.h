// Why: zip entries carry a CRC-32 that must be checked over every byte of a checkpoint, often a
// gigabyte; zlib's implementation is several times faster than a byte-table loop.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mae {

// The CRC-32 of zip, gzip and PNG (polynomial 0xedb88320), continuing from `crc` (0 to start).
uint32_t crc32(const void* data, size_t size, uint32_t crc = 0);

}  // namespace mae
