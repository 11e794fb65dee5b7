// Why: checkpoints are gigabytes, and a hostile one may claim anything. Mapping the file
// read-only costs no copy and no allocation: parsers check every range against size() and
// copy only the tensors they keep, straight from the page cache.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace mae {

class MappedFile {
 public:
  // Maps a regular file read-only. Throws FileError naming the file when it is missing, not a
  // regular file, or above max_bytes. An empty file maps to size() == 0.
  MappedFile(const std::string& path, uint64_t max_bytes);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace mae
