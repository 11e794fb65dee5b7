// Why: a training step frees and re-allocates the same few hundred tensors every step.
// glibc hands freed memory back to the kernel as soon as the top of the heap holds more
// than a small, self-adjusting margin, and serves blocks above 128 KiB..32 MiB with mmap;
// each step then faults every activation page in again and the kernel zeroes it. On the
// small presets that was a tenth of the step. Keeping freed memory for reuse is what a
// caching allocator does on a GPU; this does it for the CPU heap.
#pragma once

#include <cstddef>

namespace mae {

// Serves blocks up to 32 MiB (glibc's ceiling) from the heap and keeps up to
// `keep_bytes` of freed memory at the heap's top instead of returning it. Process-wide;
// call once at start-up, before threads allocate. Does nothing outside glibc.
void keep_freed_host_memory(size_t keep_bytes = size_t{1} << 30);

}  // namespace mae
