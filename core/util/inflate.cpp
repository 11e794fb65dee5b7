// Why: the output grows in steps, so a small stream never reserves its
// claimed size up front, and the cap is checked before each step.
#include "util/inflate.h"

#include <zlib.h>

#include <algorithm>
#include <climits>

namespace mae {

namespace {
// Deflate cannot expand more than about 1032:1 (a 258-byte match costs at least 2 bits), so
// a stream's own claim is trusted for the up-front reservation only up to that.
constexpr size_t kMaxDeflateRatio = 1032;
}  // namespace

std::string inflate_capped(const uint8_t* data, size_t size, InflateFormat format,
                           size_t max_output, std::vector<uint8_t>* out) {
  out->clear();
  if (format == InflateFormat::Gzip && size >= 18) {
    // The trailer's ISIZE (length mod 2^32) is the stream's own claim: refuse an honest bomb
    // at once, and size the buffer in one step for an honest file (never beyond what `size`
    // bytes of deflate could produce: a 20-byte file must not reserve 512 MiB).
    const uint8_t* t = data + size - 4;
    const size_t claimed =
        uint32_t{t[0]} | (uint32_t{t[1]} << 8) | (uint32_t{t[2]} << 16) | (uint32_t{t[3]} << 24);
    if (claimed > max_output)
      return "declares " + std::to_string(claimed) + " bytes, more than " +
             std::to_string(max_output);
    out->reserve(std::min(claimed, size * kMaxDeflateRatio) + 1);
  }
  z_stream stream{};
  const int window_bits = format == InflateFormat::Raw ? -MAX_WBITS : MAX_WBITS + 16;
  if (inflateInit2(&stream, window_bits) != Z_OK) return "zlib could not start";
  stream.next_in = const_cast<Bytef*>(data);
  size_t consumed = 0;
  int status = Z_OK;
  while (status != Z_STREAM_END) {
    if (stream.avail_in == 0) {
      const size_t chunk = std::min<size_t>(size - consumed, UINT_MAX);
      stream.avail_in = static_cast<uInt>(chunk);
      consumed += chunk;
    }
    if (out->size() >= max_output) {
      inflateEnd(&stream);
      out->clear();
      return "inflates to more than " + std::to_string(max_output) + " bytes";
    }
    const size_t room = out->capacity() > out->size() ? out->capacity() - out->size() : 0;
    const size_t step =
        std::min<size_t>({max_output - out->size(),
                          std::max<size_t>({room, out->size(), size_t{64} << 10}), UINT_MAX});
    const size_t before = out->size();
    out->resize(before + step);
    stream.next_out = out->data() + before;
    stream.avail_out = static_cast<uInt>(step);
    status = inflate(&stream, Z_NO_FLUSH);
    out->resize(before + step - stream.avail_out);
    if (status == Z_BUF_ERROR && stream.avail_in == 0 && consumed == size) {
      inflateEnd(&stream);
      out->clear();
      return "truncated deflate stream";
    }
    if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR) {
      inflateEnd(&stream);
      out->clear();
      return "corrupt deflate data";
    }
  }
  inflateEnd(&stream);
  return {};
}

}  // namespace mae
