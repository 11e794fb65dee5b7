// Why: Fashion-MNIST (and MNIST) ship as IDX files, often gzip-compressed; this reads them
// whole into memory (47 MB for the training split) with every header field checked.
#pragma once

#include <string>

#include "data/dataset.h"

namespace mae {

class IdxDataset : public Dataset {
 public:
  IdxDataset(const std::string& path, int64_t channels);
  int64_t size() const override { return images_.size(0); }
  at::Tensor load(int64_t index) const override;
  std::string description() const override { return description_; }

 private:
  at::Tensor images_;  // (N, rows, cols) uint8
  int64_t channels_;
  std::string description_;
};

}  // namespace mae
