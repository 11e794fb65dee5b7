// Why: Netpbm read the way PIL reads it (its PpmImagePlugin), so that a .ppm or .pgm gives the
// pixels torchvision's loader gives; every count is checked against the bytes that remain
// before a buffer is made, so a header cannot ask for more memory than the file could fill.
#include "data/pnm_decoder.h"

#include <algorithm>
#include <climits>
#include <cmath>

namespace mae::pnm {

namespace {

constexpr size_t kMaxTokenLength = 10;  // PIL's limit, in the header and in plain data

bool is_space(uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// Reads bytes as PIL's tokenizers do: whitespace ends a token, and a '#' comment is removed
// together with the CR or LF that ends it (so "25#x\n5" reads as 255).
class TokenReader {
 public:
  TokenReader(const uint8_t* data, size_t size, size_t at) : data_(data), size_(size), at_(at) {}

  // The next token, or "" at the end of the data; sets `too_long` past 10 characters.
  std::string next(bool* too_long) {
    std::string token;
    *too_long = false;
    while (at_ < size_) {
      const uint8_t c = data_[at_++];
      if (c == '#') {
        skip_comment();
      } else if (is_space(c)) {
        if (!token.empty()) break;
      } else {
        token.push_back(static_cast<char>(c));
        if (token.size() > kMaxTokenLength) {
          *too_long = true;
          break;
        }
      }
    }
    return token;
  }

  // The next non-space byte (plain PBM, whose samples need no separators), or -1 at the end.
  int next_byte() {
    while (at_ < size_) {
      const uint8_t c = data_[at_++];
      if (c == '#') {
        skip_comment();
      } else if (!is_space(c)) {
        return c;
      }
    }
    return -1;
  }

  size_t position() const { return at_; }

 private:
  // Past a comment and the CR or LF that ends it.
  void skip_comment() {
    while (at_ < size_ && data_[at_] != '\n' && data_[at_] != '\r') ++at_;
    if (at_ < size_) ++at_;
  }

  const uint8_t* data_;
  size_t size_;
  size_t at_;
};

// A decimal token as Python's int() reads ours: an optional sign, then digits.
std::optional<int64_t> parse_number(const std::string& token) {
  size_t i = token.empty() || (token[0] != '+' && token[0] != '-') ? 0 : 1;
  if (i == token.size()) return std::nullopt;
  int64_t value = 0;
  for (; i < token.size(); ++i) {
    if (token[i] < '0' || token[i] > '9') return std::nullopt;
    value = value * 10 + (token[i] - '0');  // at most 10 digits: no overflow
  }
  return token[0] == '-' ? -value : value;
}

// A token as a message may quote it: bytes outside printable ASCII as '?'.
std::string quoted(std::string token) {
  for (char& c : token)
    if (c < 0x21 || c > 0x7e) c = '?';
  return "'" + token + "'";
}

std::optional<int64_t> header_number(TokenReader& reader, const char* what, std::string* reason) {
  bool too_long = false;
  const std::string token = reader.next(&too_long);
  if (token.empty()) {
    *reason = std::string("truncated PNM header (no ") + what + ")";
    return std::nullopt;
  }
  auto value = too_long ? std::nullopt : parse_number(token);
  if (!value)
    *reason = std::string("corrupt PNM header (its ") + what + " is " + quoted(token) + ")";
  return value;
}

// A sample v of maxval m as 8 bits: PIL's round(v / m * 255), half to even.
uint8_t to_8bit(int64_t value, int maxval) {
  if (maxval == 255) return static_cast<uint8_t>(value);
  const double scaled =
      std::nearbyint(static_cast<double>(value) / static_cast<double>(maxval) * 255.0);
  return static_cast<uint8_t>(std::min(255.0, scaled));
}

// P4: rows of bits padded to whole bytes, most significant bit first, 1 black.
void decode_raw_bitmap(const uint8_t* in, const Header& h, uint8_t* out) {
  const size_t row_bytes = (static_cast<size_t>(h.width) + 7) / 8;
  for (int y = 0; y < h.height; ++y, in += row_bytes)
    for (int x = 0; x < h.width; ++x) *out++ = (in[x / 8] >> (7 - x % 8)) & 1 ? 0 : 255;
}

// P5, P6: one or two bytes a sample (big-endian), scaled unless maxval is 255.
void decode_raw_samples(const uint8_t* in, size_t count, int maxval, uint8_t* out) {
  if (maxval < 256) {
    for (size_t i = 0; i < count; ++i) out[i] = to_8bit(in[i], maxval);
  } else {
    for (size_t i = 0; i < count; ++i, in += 2) out[i] = to_8bit((in[0] << 8) | in[1], maxval);
  }
}

bool decode_plain(TokenReader& reader, const Header& h, size_t count, uint8_t* out,
                  std::string* reason) {
  for (size_t i = 0; i < count; ++i) {
    bool too_long = false;
    const std::string token = reader.next(&too_long);
    if (token.empty()) {
      *reason =
          "truncated PNM (" + std::to_string(i) + " of its " + std::to_string(count) + " samples)";
      return false;
    }
    auto value = too_long ? std::nullopt : parse_number(token);
    if (!value || *value < 0 || *value > h.maxval) {
      *reason =
          "corrupt PNM (sample " + quoted(token) + " with maxval " + std::to_string(h.maxval) + ")";
      return false;
    }
    out[i] = to_8bit(*value, h.maxval);
  }
  return true;
}

bool decode_plain_bitmap(TokenReader& reader, size_t count, uint8_t* out, std::string* reason) {
  for (size_t i = 0; i < count; ++i) {
    const int c = reader.next_byte();
    if (c != '0' && c != '1') {
      *reason = c < 0 ? "truncated PBM (" + std::to_string(i) + " of its " + std::to_string(count) +
                            " pixels)"
                      : "corrupt PBM (a pixel that is not 0 or 1)";
      return false;
    }
    out[i] = c == '1' ? 0 : 255;
  }
  return true;
}

}  // namespace

bool looks_like_pnm(const uint8_t* data, size_t size) {
  return size >= 3 && data[0] == 'P' && data[1] >= '1' && data[1] <= '6' && is_space(data[2]);
}

std::optional<Header> read_header(const uint8_t* data, size_t size, std::string* reason) {
  if (!looks_like_pnm(data, size)) {
    *reason = "not a PNM file";
    return std::nullopt;
  }
  const int kind = data[1] - '0';
  Header header;
  header.plain = kind <= 3;
  header.bitmap = kind == 1 || kind == 4;
  header.channels = kind == 3 || kind == 6 ? 3 : 1;
  TokenReader reader(data, size, 3);
  const auto width = header_number(reader, "width", reason);
  if (!width) return std::nullopt;
  const auto height = header_number(reader, "height", reason);
  if (!height) return std::nullopt;
  if (*width > INT_MAX || *height > INT_MAX || *width < 0 || *height < 0) {
    *reason = "corrupt PNM header (its size is " + std::to_string(*width) + "x" +
              std::to_string(*height) + ")";
    return std::nullopt;
  }
  header.width = static_cast<int>(*width);
  header.height = static_cast<int>(*height);
  if (!header.bitmap) {
    const auto maxval = header_number(reader, "maxval", reason);
    if (!maxval) return std::nullopt;
    if (*maxval < 1 || *maxval > 65535) {
      *reason = "corrupt PNM header (maxval " + std::to_string(*maxval) + ", not 1 to 65535)";
      return std::nullopt;
    }
    header.maxval = static_cast<int>(*maxval);
  }
  header.data_offset = reader.position();
  return header;
}

std::optional<Decoded> decode(const uint8_t* data, size_t size, std::string* reason) {
  auto header = read_header(data, size, reason);
  if (!header) return std::nullopt;
  const Header& h = *header;
  const size_t left = size - h.data_offset;
  const size_t width = static_cast<size_t>(h.width), height = static_cast<size_t>(h.height);
  const size_t row_samples = width * static_cast<size_t>(h.channels);
  // Bytes a row takes in the file at the least: a plain sample takes one at the least.
  const size_t row_bytes = h.plain    ? row_samples
                           : h.bitmap ? (width + 7) / 8
                                      : row_samples * (h.maxval < 256 ? 1 : 2);
  if (row_bytes == 0 || height > left / row_bytes) {
    *reason = h.plain || row_bytes == 0
                  ? "truncated PNM (too few samples for its " + std::to_string(h.width) + "x" +
                        std::to_string(h.height) + " pixels)"
                  : "truncated PNM (its pixels need " + std::to_string(height * row_bytes) +
                        " bytes, the file has " + std::to_string(left) + ")";
    return std::nullopt;
  }
  Decoded out;
  out.width = h.width;
  out.height = h.height;
  out.channels = h.channels;
  const size_t count = row_samples * height;
  out.pixels.resize(count);
  TokenReader reader(data, size, h.data_offset);
  if (h.plain && h.bitmap) {
    if (!decode_plain_bitmap(reader, count, out.pixels.data(), reason)) return std::nullopt;
  } else if (h.plain) {
    if (!decode_plain(reader, h, count, out.pixels.data(), reason)) return std::nullopt;
  } else if (h.bitmap) {
    decode_raw_bitmap(data + h.data_offset, h, out.pixels.data());
  } else {
    decode_raw_samples(data + h.data_offset, count, h.maxval, out.pixels.data());
  }
  return out;
}

}  // namespace mae::pnm
