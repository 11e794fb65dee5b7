// Why: the file browser listed, sorted and drew its folder on every frame it was open; in a
// folder of 50,000 pictures (the size of ImageNet's validation set) that took 90 ms a frame.
// A listing is read once per folder and read again only when the folder's modification time
// says files came or went.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "file_kinds.h"

namespace mae::studio {

struct FolderEntry {
  std::string path, name;  // name: the last part of the path
  bool is_dir;
};

class FolderListing {
 public:
  // The folders in `dir` and the files in it that `wants` can open: folders first, each
  // group by name. An unreadable folder lists as empty; a link to nothing is left out.
  const std::vector<FolderEntry>& entries(const std::string& dir, BrowseWants wants);

 private:
  std::string dir_;
  BrowseWants wants_ = BrowseWants::Picture;
  std::filesystem::file_time_type modified_;
  bool read_ = false;
  std::vector<FolderEntry> entries_;
};

}  // namespace mae::studio
