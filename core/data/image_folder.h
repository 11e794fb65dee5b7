// Why: users train on their own pictures: a folder searched recursively (ImageFolder-style
// class sub-folders work as is), or one image. Images are decoded lazily, one per load().
#pragma once

#include <string>
#include <vector>

#include "data/dataset.h"

namespace mae {

class ImageFolderDataset : public Dataset {
 public:
  // Throws DataError if the folder is missing or holds no image files.
  ImageFolderDataset(const std::string& folder, int64_t channels);
  // A dataset of exactly these files (a single image, for instance).
  ImageFolderDataset(std::vector<std::string> files, int64_t channels, std::string description);
  int64_t size() const override { return static_cast<int64_t>(files_.size()); }
  at::Tensor load(int64_t index) const override;
  std::string description() const override { return description_; }

 private:
  std::vector<std::string> files_;
  int64_t channels_;
  std::string description_;
};

bool has_image_extension(const std::string& path);

}  // namespace mae
