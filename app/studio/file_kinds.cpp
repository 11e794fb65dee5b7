// Why: picture suffixes come from the data layer, which decides what it decodes.
#include "file_kinds.h"

#include <algorithm>
#include <cctype>

#include "data/image_folder.h"
#include "util/file_names.h"

namespace mae::studio {

namespace {

std::string upper_case(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

}  // namespace

const std::vector<std::string>& checkpoint_extensions() {
  static const std::vector<std::string> known = {".safetensors", ".pth", ".pt", ".bin"};
  return known;
}

bool has_checkpoint_extension(const std::string& path) {
  const auto ext = lower_case_extension(path);
  const auto& known = checkpoint_extensions();
  return std::find(known.begin(), known.end(), ext) != known.end();
}

std::string glob_patterns(const std::vector<std::string>& extensions) {
  std::string lower, upper;
  for (const auto& ext : extensions) {
    lower += (lower.empty() ? "*" : " *") + ext;
    upper += " *" + upper_case(ext);
  }
  return lower + upper;
}

BrowseRequestKind browse_kind(BrowseTarget target) {
  switch (target) {
    case BrowseTarget::Checkpoint:
      return {"Open checkpoint", BrowseWants::Checkpoint};
    case BrowseTarget::CompareCheckpoint:
      return {"Open checkpoint to compare", BrowseWants::Checkpoint};
    case BrowseTarget::ExplorerImage:
      return {"Open image", BrowseWants::Picture};
    case BrowseTarget::TrainingData:
      return {"Training data (a folder or an image)", BrowseWants::FolderOrPicture,
              "Training data (a folder)"};
    case BrowseTarget::RunFolder:
      return {"Watch a run folder (written by mae train)", BrowseWants::Folder};
  }
  return {"Open", BrowseWants::Picture};
}

bool openable_file(const std::string& path, BrowseWants wants) {
  switch (wants) {
    case BrowseWants::Checkpoint:
      return has_checkpoint_extension(path);
    case BrowseWants::Picture:
    case BrowseWants::FolderOrPicture:
      return has_image_extension(path);
    case BrowseWants::Folder:
      return false;
  }
  return false;
}

}  // namespace mae::studio
