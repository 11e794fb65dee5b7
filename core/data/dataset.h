// Why: one small interface for every image source the app trains or evaluates on, and one
// function that turns what a user typed (folder, image, "fashion-mnist[:test]") into one.
#pragma once

#include <ATen/core/Tensor.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace mae {

class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  // (channels, H, W) float in [0,1]. Throws ImageError when item i cannot be decoded.
  virtual at::Tensor load(int64_t index) const = 0;
  virtual std::string description() const = 0;
};

// "fashion-mnist" (train split), "fashion-mnist:train", "fashion-mnist:test", a folder
// (searched recursively for images), an IDX file (*-ubyte[.gz]) or a single image file.
// Throws DataError with an actionable message when nothing usable is there.
std::shared_ptr<Dataset> open_dataset(const std::string& spec, int64_t channels);

// Where Fashion-MNIST is looked for: $MAE_FASHION_MNIST_DIR or Debian's package folder.
std::string fashion_mnist_dir();

}  // namespace mae
