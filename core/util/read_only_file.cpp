// Why: reads go in 64 MiB pieces so that the progress counter moves
// while a large tensor arrives, and EINTR is retried.
#include "util/read_only_file.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "util/file_bytes.h"
#include "util/read_progress.h"

namespace mae {

ReadOnlyFile::ReadOnlyFile(const std::string& path, uint64_t max_bytes) : path_(path) {
  fd_ = open_capped_regular_file(path, max_bytes, &size_);
}

ReadOnlyFile::~ReadOnlyFile() { ::close(fd_); }

void ReadOnlyFile::read_at(uint64_t offset, void* dest, size_t n) const {
  if (offset > size_ || n > size_ - offset)
    throw FileError("'" + path_ + "' is truncated: " + std::to_string(n) + " bytes at offset " +
                    std::to_string(offset) + " lie past its end");
  auto* out = static_cast<char*>(dest);
  for (size_t done = 0; done < n;) {
    const size_t chunk = std::min<size_t>(n - done, size_t{64} << 20);
    const ssize_t got = ::pread(fd_, out + done, chunk, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw FileError("cannot read '" + path_ + "': " + std::strerror(errno));
    if (got == 0)
      throw FileError("'" + path_ + "' shrank while it was being read (was it overwritten?)");
    done += static_cast<size_t>(got);
    count_bytes_read(got);
  }
}

}  // namespace mae
