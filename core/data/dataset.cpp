// Why: see dataset.h; the one place that interprets a user's data argument.
#include "data/dataset.h"

#include <cstdlib>
#include <filesystem>

#include "data/idx_dataset.h"
#include "data/image_folder.h"
#include "data/image_io.h"

namespace mae {

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

std::shared_ptr<Dataset> open_dataset(const std::string& spec, int64_t channels) {
  if (spec == "fashion-mnist" || spec == "fashion-mnist:train")
    return std::make_shared<IdxDataset>(find_idx(fashion_mnist_dir(), "train-images-idx3-ubyte"),
                                        channels);
  if (spec == "fashion-mnist:test")
    return std::make_shared<IdxDataset>(find_idx(fashion_mnist_dir(), "t10k-images-idx3-ubyte"),
                                        channels);
  std::error_code ec;
  if (std::filesystem::is_directory(spec, ec))
    return std::make_shared<ImageFolderDataset>(spec, channels);
  if (!std::filesystem::exists(spec, ec))
    throw DataError("data path '" + spec + "' does not exist (give a folder, an image, " +
                    "fashion-mnist or fashion-mnist:test)");
  if (ends_with(spec, "-ubyte") || ends_with(spec, "-ubyte.gz") || ends_with(spec, ".idx"))
    return std::make_shared<IdxDataset>(spec, channels);
  // Decode once now, so a bad single image is reported at once rather than per step.
  try {
    load_image(spec, channels);
  } catch (const ImageError& e) {
    throw DataError(e.what());
  }
  return std::make_shared<ImageFolderDataset>(std::vector<std::string>{spec}, channels,
                                              spec + " (single image)");
}

}  // namespace mae
