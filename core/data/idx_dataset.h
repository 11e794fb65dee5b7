// Why: Fashion-MNIST (and MNIST) ship as IDX files, often gzip-compressed; this reads them
// whole into memory (47 MB for the training split) with every header field checked, and
// the label file beside them (t10k-labels-idx1-ubyte for t10k-images-idx3-ubyte), so probes
// and the ratio experiments can score features by class.
#pragma once

#include <string>
#include <vector>

#include "data/dataset.h"

namespace mae {

class IdxDataset : public Dataset {
 public:
  IdxDataset(const std::string& path, int64_t channels);
  int64_t size() const override { return images_.size(0); }
  int64_t channels() const override { return channels_; }
  DecodedImage load_pixels(int64_t index) const override;
  int64_t label(int64_t index) const override;
  std::vector<std::string> class_names() const override { return class_names_; }
  std::string description() const override { return description_; }

 private:
  at::Tensor images_;            // (N, rows, cols) uint8
  std::vector<uint8_t> labels_;  // empty when no label file matches
  std::vector<std::string> class_names_;
  int64_t channels_;
  std::string description_;
};

}  // namespace mae
