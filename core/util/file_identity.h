// Why: a file saved again, or replaced by a new one under the same name, must be told from the
// one that was read, without reading it: its inode, size and modification time say so for
// every writer, atomic renames included.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace mae {

struct FileIdentity {
  uint64_t inode = 0, size = 0;
  int64_t mtime_ns = 0;
  bool operator==(const FileIdentity&) const = default;
};

// Of a regular file; nullopt where there is none (gone, a folder, unreadable).
std::optional<FileIdentity> file_identity(const std::string& path);
// Of the file open as `fd`: the one that is read, even if the name has been given to another
// file since it was opened.
std::optional<FileIdentity> file_identity(int fd);

}  // namespace mae
