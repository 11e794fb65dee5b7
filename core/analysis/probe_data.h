// Why: a probe needs a labelled train split and a held-out test split. Users name one data
// source; this finds its two splits the way people lay data out (Fashion-MNIST's files,
// ImageFolder train/ and val/ sub-folders) or, for one labelled folder, holds out a fixed
// fifth of every class.
#pragma once

#include <memory>
#include <string>

#include "data/dataset.h"
#include "model/config.h"

namespace mae {

struct ProbeData {
  std::shared_ptr<const Dataset> train, test;
  std::vector<std::string> class_names;
  int64_t classes = 0;
  std::string how;  // "fashion-mnist train / test files", "folder's train/ and val/", ...
};

// "fashion-mnist" (or ":train"/":test": the same pair), a folder with train/ and val/ (or
// test/) sub-folders, or any other labelled source split 4:1 by position. Throws DataError
// when the source has no labels or fewer than two classes.
ProbeData open_probe_data(const std::string& spec, const MaeConfig& model,
                          const DataOptions& options);

// Folder pictures decoded at twice the model's input side, in memory only: enough for the
// centre crop a probe takes, without decoding full-size files.
DataOptions probe_data_options(const MaeConfig& model);

}  // namespace mae
