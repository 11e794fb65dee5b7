// Why: see image_folder.h.
#include "data/image_folder.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "data/image_io.h"

namespace mae {

bool has_image_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* known :
       {".png", ".jpg", ".jpeg", ".bmp", ".tga", ".gif", ".ppm", ".pgm", ".pnm", ".psd", ".hdr"})
    if (ext == known) return true;
  return false;
}

ImageFolderDataset::ImageFolderDataset(const std::string& folder, int64_t channels)
    : channels_(channels) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) throw DataError("data folder '" + folder + "' not found");
  for (fs::recursive_directory_iterator
           it(folder, fs::directory_options::skip_permission_denied, ec),
       end;
       !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && has_image_extension(it->path().string()))
      files_.push_back(it->path().string());
  }
  if (ec) throw DataError("cannot list '" + folder + "': " + ec.message());
  if (files_.empty())
    throw DataError("no image files (png, jpg, bmp, ...) found under '" + folder + "'");
  std::sort(files_.begin(), files_.end());
  description_ = folder + " (" + std::to_string(files_.size()) + " image files)";
}

ImageFolderDataset::ImageFolderDataset(std::vector<std::string> files, int64_t channels,
                                       std::string description)
    : files_(std::move(files)), channels_(channels), description_(std::move(description)) {}

at::Tensor ImageFolderDataset::load(int64_t index) const {
  return load_image(files_.at(static_cast<size_t>(index)), channels_);
}

}  // namespace mae
