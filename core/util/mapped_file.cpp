// Why: see mapped_file.h. MAP_PRIVATE keeps our view stable if the file is rewritten by
// rename (the atomic save path); a file truncated under us is the one case it cannot cover.
#include "util/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/file_bytes.h"

namespace mae {

MappedFile::MappedFile(const std::string& path, uint64_t max_bytes) : path_(path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) throw FileError("'" + path + "' not found");
  if (fd < 0) throw FileError("cannot open '" + path + "': " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw FileError("'" + path + "' is not a regular file");
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size > max_bytes) {
    ::close(fd);
    throw FileError("'" + path + "' is " + std::to_string(size >> 20) +
                    " MiB, above the limit of " + std::to_string(max_bytes >> 20) + " MiB");
  }
  if (size > 0) {
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      throw FileError("cannot map '" + path + "': " + why);
    }
    data_ = static_cast<const uint8_t*>(map);
    size_ = static_cast<size_t>(size);
  }
  ::close(fd);
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

}  // namespace mae
