// Why: the temporary file is flushed and fsynced before the rename, so after a crash the target is
// either the old file or the whole new one; on any failure the temporary is removed and the message
// says the previous file is unchanged.
#include "util/atomic_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace mae {

void write_all(std::FILE* file, const void* data, size_t size) {
  if (size == 0) return;
  if (std::fwrite(data, 1, size, file) != size)
    throw std::runtime_error(std::string("write failed: ") + std::strerror(errno));
}

void write_file_atomically(const std::string& path, const std::function<void(std::FILE*)>& write) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (!fs::is_directory(dir))
    throw std::runtime_error("cannot save '" + path + "': folder '" + dir.string() +
                             "' does not exist");
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  std::FILE* file = std::fopen(tmp.c_str(), "wb");
  if (!file) throw std::runtime_error("cannot save '" + path + "': " + std::strerror(errno));
  try {
    write(file);
    if (std::fflush(file) != 0 || ::fsync(::fileno(file)) != 0)
      throw std::runtime_error(std::string("flush failed: ") + std::strerror(errno));
    if (std::fclose(file) != 0) {
      file = nullptr;
      throw std::runtime_error(std::string("close failed: ") + std::strerror(errno));
    }
    file = nullptr;
    std::error_code ec;
    fs::rename(tmp, target, ec);
    if (ec) throw std::runtime_error("rename failed: " + ec.message());
  } catch (const std::exception& e) {
    if (file) std::fclose(file);
    std::remove(tmp.c_str());
    throw std::runtime_error("cannot save '" + path + "': " + e.what() +
                             " (the previous file, if any, is unchanged)");
  }
}

}  // namespace mae
