// Why: checkpoints are gigabytes, and a hostile one may claim anything. Reading with pread at
// offsets checked against the size puts each tensor's bytes straight into the tensor, with no
// whole-file copy. A mapping would do the same with no copy at all, but a file truncated in
// place under a mapping kills the process with SIGBUS; a short read here is a message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace mae {

class ReadOnlyFile {
 public:
  // Opens a regular file read-only. Throws FileError naming the file when it is missing, not a
  // regular file, or above max_bytes.
  ReadOnlyFile(const std::string& path, uint64_t max_bytes);
  ~ReadOnlyFile();
  ReadOnlyFile(const ReadOnlyFile&) = delete;
  ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;

  // The size when the file was opened; every range is checked against it.
  uint64_t size() const { return size_; }

  // Reads exactly `n` bytes at `offset` into `dest`, counting them as read progress. Throws
  // FileError when the range lies past size(), or when the file has shrunk since it was opened.
  void read_at(uint64_t offset, void* dest, size_t n) const;

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

}  // namespace mae
