// Why: see idx_dataset.h. Gzip is unwrapped by hand (header per RFC 1952) and inflated by
// stb, so no zlib dependency is needed on any machine.
#include "data/idx_dataset.h"

#include <ATen/ATen.h>

#include "data/image_io.h"
#include "data/stb_backend.h"

namespace mae {

namespace {

uint32_t read_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

std::vector<uint8_t> gunzip(const std::vector<uint8_t>& gz, const std::string& path) {
  if (gz.size() < 18 || gz[2] != 8) throw DataError("'" + path + "' is not a valid gzip file");
  const uint8_t flags = gz[3];
  size_t pos = 10;
  auto need = [&](size_t n) {
    if (pos + n > gz.size()) throw DataError("'" + path + "' is a truncated gzip file");
  };
  if (flags & 4) {
    need(2);
    pos += 2 + (gz[pos] | (gz[pos + 1] << 8));
  }
  for (uint8_t bit : {uint8_t{8}, uint8_t{16}}) {
    if (flags & bit) {
      while (need(1), gz[pos] != 0) ++pos;
      ++pos;
    }
  }
  if (flags & 2) pos += 2;
  need(8);
  std::vector<uint8_t> out;
  if (!stb::inflate_raw(gz.data() + pos, gz.size() - pos - 8, &out))
    throw DataError("'" + path + "' is a corrupt gzip file");
  return out;
}

}  // namespace

IdxDataset::IdxDataset(const std::string& path, int64_t channels) : channels_(channels) {
  std::vector<uint8_t> bytes;
  try {
    bytes = read_file_bytes(path, size_t{1} << 30);
  } catch (const ImageError& e) {
    throw DataError(e.what());
  }
  if (bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b) bytes = gunzip(bytes, path);
  if (bytes.size() < 16 || read_be32(bytes.data()) != 0x00000803)
    throw DataError("'" + path + "' is not an IDX image file (magic 0x00000803 expected)");
  const int64_t n = read_be32(bytes.data() + 4), rows = read_be32(bytes.data() + 8),
                cols = read_be32(bytes.data() + 12);
  if (n <= 0 || rows <= 0 || cols <= 0 ||
      static_cast<int64_t>(bytes.size()) != 16 + n * rows * cols)
    throw DataError("'" + path + "' has a header that does not match its size");
  images_ = at::from_blob(bytes.data() + 16, {n, rows, cols}, at::kByte).clone();
  description_ = path + " (" + std::to_string(n) + " images, " + std::to_string(rows) + "x" +
                 std::to_string(cols) + ")";
}

at::Tensor IdxDataset::load(int64_t index) const {
  auto img = images_[index].to(at::kFloat).div(255.0).unsqueeze(0);
  return channels_ == 1 ? img : img.expand({channels_, img.size(1), img.size(2)}).contiguous();
}

}  // namespace mae
