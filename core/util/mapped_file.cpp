// Why: see mapped_file.h. MAP_PRIVATE keeps our view stable if the file is rewritten by
// rename (the atomic save path); a file truncated under us is the one case it cannot cover.
#include "util/mapped_file.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/file_bytes.h"

namespace mae {

MappedFile::MappedFile(const std::string& path, uint64_t max_bytes) : path_(path) {
  uint64_t size = 0;
  const int fd = open_capped_regular_file(path, max_bytes, &size);
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
