// Why: opening a large checkpoint takes seconds, and the app shows how far it has got.
// Readers of big files add the bytes they read (and the tensors they build) to a counter
// that the reading thread names and any other thread may poll.
#pragma once

#include <atomic>
#include <cstdint>

namespace mae {

struct ReadProgress {
  std::atomic<int64_t> bytes{0};
  std::atomic<int64_t> tensors{0};
};

// The counter this thread's reads add to; nullptr (the default) for none.
void set_thread_read_progress(ReadProgress* progress);

// Adds bytes read from the file being read.
void count_bytes_read(int64_t bytes);

// One more tensor built from the file being read.
void count_tensor_read();

}  // namespace mae
