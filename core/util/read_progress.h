// Why: opening a large checkpoint takes seconds, and the app shows how far it has got.
// Readers of big files add the bytes they read (and the tensors they build) to a counter
// that the reading thread names and any other thread may poll.
#pragma once

#include <atomic>
#include <cstdint>
#include <istream>

namespace mae {

struct ReadProgress {
  std::atomic<int64_t> bytes{0};
  std::atomic<int64_t> tensors{0};
};

// The counter this thread's reads add to; nullptr (the default) for none.
void set_thread_read_progress(ReadProgress* progress);

// Reads `size` bytes into `dst` in 64 MiB chunks, counting them; false on a short read.
bool read_counted(std::istream& in, char* dst, uint64_t size);

// Adds bytes read some other way (a plain read(2) loop).
void count_bytes_read(int64_t bytes);

// One more tensor built from the file being read.
void count_tensor_read();

}  // namespace mae
