// Why: the safetensors and zip readers both read a checkpoint with positioned reads, and both
// must report a missing, oversized, cut or shrinking file the way they report any other
// damage: as a CheckpointError naming the file. One place converts the file layer's errors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "util/read_only_file.h"

namespace mae {

// Opens a checkpoint of at most max_bytes for reading.
std::unique_ptr<ReadOnlyFile> open_checkpoint_file(const std::string& path, uint64_t max_bytes);
// Exactly `n` bytes at `offset` into `dest`.
void read_checkpoint_bytes(const ReadOnlyFile& file, uint64_t offset, void* dest, size_t n);

}  // namespace mae
