// Why: the one place that interprets a user's data argument.
#include "data/dataset.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "data/idx_dataset.h"
#include "data/image_folder.h"
#include "data/image_io.h"
#include "util/format_duration.h"

namespace mae {

namespace {

// 12000 -> "12 000": counts a person reads at a glance.
std::string grouped(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ' ';
    out += digits[i];
  }
  return out;
}

}  // namespace

std::string DataProgress::line() const {
  char buf[256];
  const std::string failures =
      failed > 0 ? ", " + grouped(failed) + " unreadable (skipped)" : std::string();
  switch (stage) {
    case Stage::Indexing:
      return "indexing " + grouped(done) + " files";
    case Stage::FirstPass:
      if (done == 0) return "first pass: decoding " + grouped(total) + " files" + failures;
      std::snprintf(buf, sizeof buf, "first pass: decoded %s of %s, %.0f img/s, %s left%s",
                    grouped(done).c_str(), grouped(total).c_str(), per_second,
                    format_duration(seconds_left).c_str(), failures.c_str());
      return buf;
    case Stage::Ready:
      std::snprintf(buf, sizeof buf, "data ready: %s images, %.0f MiB decoded%s",
                    grouped(total).c_str(), static_cast<double>(cached_bytes) / (1 << 20),
                    failures.c_str());
      return note.empty() ? std::string(buf) : std::string(buf) + " (" + note + ")";
  }
  return {};
}

at::Tensor Dataset::load(int64_t index) const { return to_unit_chw(load_pixels(index).pixels); }

at::Tensor Dataset::load_decoded(int64_t index) const {
  return load_pixels(index).pixels.permute({2, 0, 1});
}

std::string Dataset::item_name(int64_t index) const {
  return description() + " #" + std::to_string(index);
}

std::string fashion_mnist_dir() {
  const char* env = std::getenv("MAE_FASHION_MNIST_DIR");
  return env && *env ? env : "/usr/share/datasets/fashion-mnist";
}

namespace {

std::string find_idx(const std::string& dir, const std::string& stem) {
  for (const auto& name : {stem, stem + ".gz"})
    if (std::filesystem::exists(dir + "/" + name)) return dir + "/" + name;
  throw DataError("Fashion-MNIST not found in '" + dir + "' (install the Debian package " +
                  "dataset-fashion-mnist or set MAE_FASHION_MNIST_DIR)");
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::shared_ptr<Dataset> open_dataset(const std::string& spec, int64_t channels,
                                      const DataOptions& options, const ProgressFn& progress) {
  if (spec == "fashion-mnist" || spec == "fashion-mnist:train")
    return std::make_shared<IdxDataset>(find_idx(fashion_mnist_dir(), "train-images-idx3-ubyte"),
                                        channels);
  if (spec == "fashion-mnist:test")
    return std::make_shared<IdxDataset>(find_idx(fashion_mnist_dir(), "t10k-images-idx3-ubyte"),
                                        channels);
  std::error_code ec;
  if (std::filesystem::is_directory(spec, ec))
    return std::make_shared<ImageFolderDataset>(spec, channels, options, progress);
  if (!std::filesystem::exists(spec, ec))
    throw DataError("data path '" + spec + "' does not exist (give a folder, an image, " +
                    "fashion-mnist or fashion-mnist:test)");
  if (ends_with(spec, "-ubyte") || ends_with(spec, "-ubyte.gz") || ends_with(spec, ".idx"))
    return std::make_shared<IdxDataset>(spec, channels);
  DataOptions single = options;
  single.disk_cache = false;  // one picture: decoding it again is cheaper than a cache file
  auto dataset = std::make_shared<ImageFolderDataset>(std::vector<std::string>{spec}, channels,
                                                      spec + " (single image)", single);
  // Decode once now, so a bad single image is reported at once rather than per step.
  try {
    dataset->load_pixels(0);
  } catch (const ImageError& e) {
    throw DataError(e.what());
  }
  return dataset;
}

}  // namespace mae
