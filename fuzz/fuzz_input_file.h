// Why: most readers take a path, as users give them one. Each harness writes its input to a
// file in /dev/shm (memory, so no disk traffic per run) and hands the reader that path.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace mae::fuzz {

inline std::string write_input(const uint8_t* data, size_t size, const std::string& name) {
  const std::string dir = "/dev/shm/mae-fuzz-" + std::to_string(::getpid());
  ::mkdir(dir.c_str(), 0700);
  const std::string path = dir + "/" + name;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

}  // namespace mae::fuzz
