// Why: users train on their own pictures: a folder searched recursively, where ImageFolder-
// style class sub-folders become labels, or one image. Each file is decoded once (the first
// pass, in parallel) to 8-bit pixels at the size the crops need and kept in a
// DecodedCache; corrupt files are remembered, so they cost one attempt, not one per epoch.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "data/dataset.h"
#include "data/decoded_cache.h"

namespace mae {

class ImageFolderDataset : public Dataset {
 public:
  // Throws DataError if the folder is missing or holds no image files. `progress` hears
  // "indexing N files" while the folder is listed.
  ImageFolderDataset(const std::string& folder, int64_t channels, const DataOptions& options = {},
                     const ProgressFn& progress = {});
  // A dataset of exactly these files (a single image, for instance).
  ImageFolderDataset(std::vector<std::string> files, int64_t channels, std::string description,
                     const DataOptions& options = {});
  ~ImageFolderDataset() override;

  int64_t size() const override { return static_cast<int64_t>(files_.size()); }
  int64_t channels() const override { return channels_; }
  DecodedImage load_pixels(int64_t index) const override;
  int64_t label(int64_t index) const override;
  std::vector<std::string> class_names() const override { return class_names_; }
  std::string description() const override { return description_; }
  std::string item_name(int64_t index) const override;
  void prepare(const ProgressFn& progress, std::stop_token stop) const override;
  std::vector<std::string> unreadable() const override;

  CacheStats cache_stats() const { return cache_->stats(); }
  int64_t unreadable_files() const;

 private:
  DecodedImage decode(int64_t index) const;

  std::vector<FileStamp> files_;
  std::vector<int32_t> labels_;  // -1: not in a class sub-folder
  std::vector<std::string> class_names_;
  int64_t channels_;
  DataOptions options_;
  std::string description_;
  std::unique_ptr<DecodedCache> cache_;

  // Pictures being decoded at once are limited by their pixel bytes, so that a few huge
  // files in parallel cannot take gigabytes.
  mutable std::mutex gate_mutex_;
  mutable std::condition_variable gate_changed_;
  mutable size_t decoding_bytes_ = 0;
  mutable std::unordered_map<int64_t, std::string> unreadable_;  // index -> message
  std::string unread_note_;  // pictures in formats we do not read (HEIC, AVIF, GIF), if any
};

// The extensions (lower case, with the dot) of the formats a folder's pictures may have;
// anything else is not decoded. Every list of openable pictures comes from here.
const std::vector<std::string>& image_extensions();
// Whether the path ends in one of them, in any case.
bool has_image_extension(const std::string& path);

}  // namespace mae
