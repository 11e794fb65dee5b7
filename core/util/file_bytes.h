// Why: every reader of a user's file (images, IDX, zip, JSON configs) needs the same careful
// whole-file read: a regular file only, a size cap checked before allocating, and one clear
// message naming the file when anything is wrong.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace mae {

class FileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads a whole regular file, refusing anything larger than max_bytes before allocating.
// Throws FileError ("'x.png' is not a readable file", "... is 300 MiB, above the limit ...").
std::vector<uint8_t> read_file_bytes(const std::string& path, size_t max_bytes);

// Opens a regular file of at most max_bytes read-only and returns its descriptor (the
// caller closes it) with its size. Throws FileError like read_file_bytes.
int open_capped_regular_file(const std::string& path, uint64_t max_bytes, uint64_t* size);

// The same for text files (JSON configs).
std::string read_text_file(const std::string& path, size_t max_bytes);

}  // namespace mae
