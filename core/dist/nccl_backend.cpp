// Why: NCCL for CUDA ranks, compiled only where LibTorch has CUDA and nccl.h is found; each
// rank drives the GPU numbered by its local rank (set before this is called).
#include "dist/backends.h"
#include "dist/rank_layout.h"

#if defined(MAE_HAVE_NCCL)
#include <c10/cuda/CUDAFunctions.h>

#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace mae::dist_detail {

c10::intrusive_ptr<c10d::Backend> make_nccl_backend(const c10::intrusive_ptr<c10d::Store>& store,
                                                    int rank, int world, int device_index,
                                                    std::chrono::milliseconds timeout) {
#if defined(MAE_HAVE_NCCL)
  c10::cuda::set_device(static_cast<c10::DeviceIndex>(device_index));
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, world, options);
#else
  throw DistError("this build of mae has no NCCL; use --device cpu for Gloo ranks");
#endif
}

}  // namespace mae::dist_detail
