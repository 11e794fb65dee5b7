// Why: see read_progress.h.
#include "util/read_progress.h"

#include <algorithm>

namespace mae {

namespace {
thread_local ReadProgress* g_progress = nullptr;
}

void set_thread_read_progress(ReadProgress* progress) { g_progress = progress; }

bool read_counted(std::istream& in, char* dst, uint64_t size) {
  constexpr uint64_t kChunk = uint64_t{64} << 20;
  for (uint64_t done = 0; done < size;) {
    const uint64_t n = std::min(kChunk, size - done);
    if (!in.read(dst + done, static_cast<std::streamsize>(n))) return false;
    done += n;
    if (g_progress) g_progress->bytes += static_cast<int64_t>(n);
  }
  return true;
}

void count_bytes_read(int64_t bytes) {
  if (g_progress) g_progress->bytes += bytes;
}

void count_tensor_read() {
  if (g_progress) ++g_progress->tensors;
}

}  // namespace mae
