// Why: the counter is per thread, so a reader deep inside a parser counts its bytes without being
// handed the counter, and reads on other threads never count towards it.
#include "util/read_progress.h"

namespace mae {

namespace {
thread_local ReadProgress* g_progress = nullptr;
}

void set_thread_read_progress(ReadProgress* progress) { g_progress = progress; }

void count_bytes_read(int64_t bytes) {
  if (g_progress) g_progress->bytes += bytes;
}

void count_tensor_read() {
  if (g_progress) ++g_progress->tensors;
}

}  // namespace mae
