// Why: the size is taken from the open descriptor, so a file swapped between
// the check and the read cannot make us allocate more than the cap.
#include "util/file_bytes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "util/read_progress.h"

namespace mae {

namespace {

std::string size_text(uint64_t bytes) {
  if (bytes >= (uint64_t{1} << 20)) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

}  // namespace

int open_capped_regular_file(const std::string& path, uint64_t max_bytes, uint64_t* size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) throw FileError("'" + path + "' not found");
  if (fd < 0) throw FileError("cannot open '" + path + "': " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw FileError("'" + path + "' is not a regular file");
  }
  *size = static_cast<uint64_t>(st.st_size);
  if (*size > max_bytes) {
    ::close(fd);
    throw FileError("'" + path + "' is " + size_text(*size) + ", above the limit of " +
                    size_text(max_bytes));
  }
  return fd;
}

namespace {

template <typename Buffer>
Buffer read_capped(const std::string& path, size_t max_bytes) {
  uint64_t size = 0;
  const int fd = open_capped_regular_file(path, max_bytes, &size);
  Buffer bytes(size, 0);
  size_t done = 0;
  while (done < size) {
    const size_t chunk = std::min<size_t>(size - done, size_t{64} << 20);
    const ssize_t got = ::read(fd, reinterpret_cast<char*>(bytes.data()) + done, chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      const std::string why = got < 0 ? std::strerror(errno) : "the file shrank while reading";
      ::close(fd);
      throw FileError("cannot read '" + path + "': " + why);
    }
    done += static_cast<size_t>(got);
    count_bytes_read(got);
  }
  ::close(fd);
  return bytes;
}

}  // namespace

std::vector<uint8_t> read_file_bytes(const std::string& path, size_t max_bytes) {
  return read_capped<std::vector<uint8_t>>(path, max_bytes);
}

std::string read_text_file(const std::string& path, size_t max_bytes) {
  return read_capped<std::string>(path, max_bytes);
}

}  // namespace mae
