// Why: gzip'd files are inflated by zlib with the same cap as plain ones,
// and the header's counts are bounded before they are multiplied.
#include "data/idx_dataset.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <filesystem>

#include "util/file_bytes.h"
#include "util/inflate.h"

namespace mae {

namespace {

uint32_t read_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// The largest IDX file we read, compressed or not: Fashion-MNIST's training images are 47 MiB.
constexpr size_t kMaxIdxBytes = size_t{512} << 20;

std::vector<uint8_t> read_idx_bytes(const std::string& path) {
  std::vector<uint8_t> bytes;
  try {
    bytes = read_file_bytes(path, kMaxIdxBytes);
  } catch (const FileError& e) {
    throw DataError(e.what());
  }
  if (bytes.size() < 2 || bytes[0] != 0x1f || bytes[1] != 0x8b) return bytes;
  std::vector<uint8_t> plain;
  const std::string problem =
      inflate_capped(bytes.data(), bytes.size(), InflateFormat::Gzip, kMaxIdxBytes, &plain);
  if (!problem.empty()) throw DataError("'" + path + "': gzip " + problem);
  return plain;
}

// "x/t10k-images-idx3-ubyte.gz" -> "x/t10k-labels-idx1-ubyte.gz", or "" if not that pattern.
std::string label_path_for(const std::string& images_path) {
  const std::string from = "images-idx3-ubyte", to = "labels-idx1-ubyte";
  const auto at = images_path.rfind(from);
  if (at == std::string::npos) return "";
  std::string p = images_path;
  p.replace(at, from.size(), to);
  for (const std::string& candidate : {p, p + ".gz", p.substr(0, p.size() - 3)})
    if (candidate != images_path && std::filesystem::is_regular_file(candidate)) return candidate;
  return "";
}

}  // namespace

IdxDataset::IdxDataset(const std::string& path, int64_t channels) : channels_(channels) {
  std::vector<uint8_t> bytes = read_idx_bytes(path);
  if (bytes.size() < 16 || read_be32(bytes.data()) != 0x00000803)
    throw DataError("'" + path + "' is not an IDX image file (magic 0x00000803 expected)");
  const int64_t n = read_be32(bytes.data() + 4), rows = read_be32(bytes.data() + 8),
                cols = read_be32(bytes.data() + 12);
  if (n <= 0 || rows <= 0 || cols <= 0 || rows > 16384 || cols > 16384 ||
      static_cast<int64_t>(bytes.size()) != 16 + n * rows * cols)
    throw DataError("'" + path + "' has a header that does not match its size");
  images_ = at::from_blob(bytes.data() + 16, {n, rows, cols}, at::kByte).clone();
  description_ = path + " (" + std::to_string(n) + " images, " + std::to_string(rows) + "x" +
                 std::to_string(cols) + ")";
  const std::string labels_path = label_path_for(path);
  if (labels_path.empty()) return;
  auto labels = read_idx_bytes(labels_path);
  if (labels.size() != static_cast<size_t>(8 + n) || read_be32(labels.data()) != 0x00000801 ||
      read_be32(labels.data() + 4) != static_cast<uint32_t>(n))
    throw DataError("'" + labels_path + "' does not match '" + path + "' (" + std::to_string(n) +
                    " labels expected)");
  labels_.assign(labels.begin() + 8, labels.end());
  const uint8_t top = *std::max_element(labels_.begin(), labels_.end());
  if (path.find("fashion") != std::string::npos && top < 10)
    class_names_ = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  else
    for (int c = 0; c <= top; ++c) class_names_.push_back(std::to_string(c));
  description_ += ", labelled";
}

int64_t IdxDataset::label(int64_t index) const {
  return labels_.empty() ? -1 : labels_.at(static_cast<size_t>(index));
}

DecodedImage IdxDataset::load_pixels(int64_t index) const {
  auto img = images_[index].unsqueeze(-1);
  if (channels_ != 1) img = img.expand({img.size(0), img.size(1), channels_}).contiguous();
  return {img, img.size(0), img.size(1)};
}

}  // namespace mae
