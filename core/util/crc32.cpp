// Why: zlib stays private to the util layer.
#include "util/crc32.h"

#include <zlib.h>

namespace mae {

uint32_t crc32(const void* data, size_t size, uint32_t crc) {
  return static_cast<uint32_t>(::crc32_z(crc, static_cast<const Bytef*>(data), size));
}

}  // namespace mae
