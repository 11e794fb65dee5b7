// Why: glibc keeps freed memory only under its mallopt thresholds, and setting one turns off its
// self-adjusting margin, so both are set once at start-up, before the first step allocates.
#include "util/host_allocator.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <climits>

namespace mae {

void keep_freed_host_memory(size_t keep_bytes) {
#if defined(__GLIBC__)
  // Setting either disables glibc's dynamic threshold, so both are set.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, static_cast<int>(keep_bytes < INT_MAX ? keep_bytes : INT_MAX));
#else
  (void)keep_bytes;
#endif
}

}  // namespace mae
