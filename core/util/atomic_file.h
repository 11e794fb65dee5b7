// Why: a crash or a full disk in the middle of a save must never destroy the previous file.
// Everything we write goes to a temporary file beside the target, then is renamed over it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace mae {

// Calls `write` with an open stream to a temporary file, flushes and fsyncs it, and renames
// it onto `path`. On any failure the temporary file is removed, `path` is untouched, and a
// std::runtime_error says what went wrong (including "No space left on device").
void write_file_atomically(const std::string& path, const std::function<void(std::FILE*)>& write);

// Writes `size` bytes to `file` or throws with the errno message.
void write_all(std::FILE* file, const void* data, size_t size);

}  // namespace mae
