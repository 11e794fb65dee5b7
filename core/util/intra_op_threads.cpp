// Why: the OpenMP runtime is the one LibTorch loaded (the wheel
// ships its own libgomp), so it is found at run time rather than linked: no second runtime.
#include "util/intra_op_threads.h"

#include <dlfcn.h>

#include <atomic>

namespace mae {

namespace {
int max_threads_here() {
  using GetThreads = int (*)();
  static const auto get_threads =
      reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "omp_get_max_threads"));
  return get_threads ? get_threads() : 1;
}

// What threads that keep OpenMP's default get, read before any thread chose its own.
std::atomic<int> default_threads{0};
}  // namespace

void set_intra_op_threads_here(int threads) {
  using SetThreads = void (*)(int);
  static const auto set_threads =
      reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
  int unread = 0;
  default_threads.compare_exchange_strong(unread, max_threads_here());
  if (set_threads) set_threads(threads);
}

int intra_op_threads_here() { return max_threads_here(); }

int default_intra_op_threads() {
  const int read = default_threads.load();
  return read > 0 ? read : max_threads_here();
}

}  // namespace mae
