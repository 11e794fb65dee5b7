// Why: the browser's folder read once and kept until the folder changes.
#include "folder_listing.h"

#include <algorithm>

namespace mae::studio {

namespace fs = std::filesystem;

const std::vector<FolderEntry>& FolderListing::entries(const std::string& dir, BrowseWants wants) {
  std::error_code ec;
  const auto modified = fs::last_write_time(dir, ec);
  if (read_ && dir == dir_ && wants == wants_ && modified == modified_) return entries_;
  dir_ = dir;
  wants_ = wants;
  modified_ = modified;
  read_ = true;
  entries_.clear();
  for (fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    std::error_code entry_ec;             // an entry's own trouble leaves it out, not the rest
    if (!it->exists(entry_ec)) continue;  // a link to nothing: nothing to open
    const bool is_dir = it->is_directory(entry_ec);
    const std::string path = it->path().string();
    if (is_dir || openable_file(path, wants))
      entries_.push_back({path, it->path().filename().string(), is_dir});
  }
  std::sort(entries_.begin(), entries_.end(), [](const FolderEntry& a, const FolderEntry& b) {
    return a.is_dir != b.is_dir ? a.is_dir : a.name < b.name;
  });
  return entries_;
}

}  // namespace mae::studio
