// Why: both checkpoint readers open and read through these two functions, so a file's faults are
// reported in one wording, as a CheckpointError naming the file.
#include "io/checkpoint_file.h"

#include "io/safetensors.h"
#include "util/file_bytes.h"

namespace mae {

std::unique_ptr<ReadOnlyFile> open_checkpoint_file(const std::string& path, uint64_t max_bytes) {
  try {
    return std::make_unique<ReadOnlyFile>(path, max_bytes);
  } catch (const FileError& e) {
    throw CheckpointError(e.what());
  }
}

void read_checkpoint_bytes(const ReadOnlyFile& file, uint64_t offset, void* dest, size_t n) {
  try {
    file.read_at(offset, dest, n);
  } catch (const FileError& e) {
    throw CheckpointError(e.what());
  }
}

}  // namespace mae
