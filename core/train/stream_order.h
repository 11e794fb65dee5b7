// Why: the trainer, its uploads and its graph capture each order one CUDA stream's work after
// another's (a thread's own stream after the one it had, the consumer after an upload's side
// stream, a capture's side stream after its caller and back). This is that one move: an event
// recorded on the first stream that the second waits for, with no host waiting. CUDA builds
// only; include it inside MAE_HAVE_CUDA.
#pragma once

#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAStream.h>

namespace mae {

// Work queued on `then` from now on runs after the work queued on `first` so far.
inline void order_after(const c10::cuda::CUDAStream& first, const c10::cuda::CUDAStream& then) {
  at::cuda::CUDAEvent done;
  done.record(first);
  done.block(then);
}

}  // namespace mae
