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

// The splits a probe (and a sweep's scoring) reads: each picture decoded whole and fitted to
// `model` as PIL fits the whole picture, on its first read, then kept fitted (within a budget)
// for the reads after it: a probe's three passes, a sweep's ratios. Decoded smaller first (by
// JPEG scaling and a resize to twice the model's side), as the probe did, two resamplings
// blurred fine detail: 58 photos at 64 px were off PIL's fit by 1.2 levels on average, 13 on
// the worst photo.
ProbeData open_scoring_data(const std::string& spec, const MaeConfig& model);

}  // namespace mae
