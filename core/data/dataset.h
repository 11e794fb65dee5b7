// Why: one small interface for every image source the app trains or evaluates on, and one
// function that turns what a user typed (folder, image, "fashion-mnist[:test]") into one.
// Sources hand out compact 8-bit pixels with their labels; a folder of photos is decoded
// once (the first pass) into a cache, so training reads pixels, not files.
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <memory>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <vector>

#include "data/photo_decode.h"

namespace mae {

class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// How a folder of photos is read. The defaults keep full-size pictures in memory only (for
// evaluation and single images); training sets a size cap and the disk cache.
struct DataOptions {
  int64_t short_side_cap = 0;  // 0: full size; else see crop_faithful_short_side()
  bool disk_cache = false;     // also keep decoded pixels in a cache file for later runs
  std::string cache_dir;       // empty: default_decoded_cache_dir()
  size_t memory_budget = size_t{512} << 20;         // decoded pixels held in memory
  size_t decode_memory_budget = size_t{768} << 20;  // pictures being decoded at once
  int64_t decode_threads = 2;                       // first pass
};

// What the data stage is doing, for a progress line or a panel.
struct DataProgress {
  enum class Stage { Indexing, FirstPass, Ready };
  Stage stage = Stage::Ready;
  int64_t done = 0;
  int64_t total = 0;
  int64_t failed = 0;  // files that could not be decoded (skipped by training)
  double per_second = 0.0;
  double seconds_left = 0.0;
  size_t cached_bytes = 0;
  std::string note;  // why the decoded-image cache is memory only; files in formats not read
  // "indexing 12 000 files", "first pass: decoded 312 of 12 000, 45 img/s, 4m20s left".
  std::string line() const;
};
using ProgressFn = std::function<void(const DataProgress&)>;

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  virtual int64_t channels() const = 0;
  // Pixels of item i: uint8 (H, W, C) (float in [0,1] for synthetic test sources).
  // Throws ImageError when item i cannot be decoded.
  virtual DecodedImage load_pixels(int64_t index) const = 0;
  // Class of item i (ImageFolder sub-folder, Fashion-MNIST label file), -1 if unlabeled.
  virtual int64_t label(int64_t index) const { return -1; }
  virtual std::vector<std::string> class_names() const { return {}; }
  virtual std::string description() const = 0;
  // What item i is to a person: a folder's file path; by default "<description> #i".
  virtual std::string item_name(int64_t index) const;
  // Decodes whatever is not cached yet (the first pass), reporting progress about twice a
  // second; returns early when `stop` is requested. Sources held in memory return at once.
  virtual void prepare(const ProgressFn& progress, std::stop_token stop) const {}
  // The items found undecodable so far (after prepare(): all of them), in index order, as their
  // errors say: the file and the problem. Sources held in memory have none.
  virtual std::vector<std::string> unreadable() const { return {}; }

  // Item i as float (C, H, W) in [0, 1].
  at::Tensor load(int64_t index) const;
  // Item i as its decoder gave it, (C, H, W): a view of load_pixels' bytes (floats for
  // synthetic sources). fit_picture fits it to a model in 8 bits, as PIL fits a photo.
  at::Tensor load_decoded(int64_t index) const;
};

// "fashion-mnist" (train split), "fashion-mnist:train", "fashion-mnist:test", a folder
// (searched recursively for images), an IDX file (*-ubyte[.gz]) or a single image file.
// Throws DataError with an actionable message when nothing usable is there.
std::shared_ptr<Dataset> open_dataset(const std::string& spec, int64_t channels,
                                      const DataOptions& options = {},
                                      const ProgressFn& progress = {});

// Where Fashion-MNIST is looked for: $MAE_FASHION_MNIST_DIR or Debian's package folder.
std::string fashion_mnist_dir();

}  // namespace mae
