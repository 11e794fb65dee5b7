// Why: see intra_op_threads.h. The OpenMP runtime is the one LibTorch loaded (the wheel
// ships its own libgomp), so it is found at run time rather than linked: no second runtime.
#include "util/intra_op_threads.h"

#include <dlfcn.h>

namespace mae {

void set_intra_op_threads_here(int threads) {
  using SetThreads = void (*)(int);
  static const auto set_threads =
      reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
  if (set_threads) set_threads(threads);
}

}  // namespace mae
