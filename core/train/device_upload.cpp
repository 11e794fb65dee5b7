// Why: one side stream per thread and device, and the copies are recorded as used by the consumer's
// stream, so the allocator cannot hand their memory out again while the consumer still reads it.
#include "train/device_upload.h"

#include <ATen/ATen.h>

#include <map>
#include <stdexcept>

#ifdef MAE_HAVE_CUDA
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include "train/stream_order.h"
#endif

namespace mae {

std::vector<at::Tensor> upload_behind_current_stream(const std::vector<at::Tensor>& host,
                                                     const std::string& device) {
  const at::Device target(device);
  if (!target.is_cuda()) return host;
#ifdef MAE_HAVE_CUDA
  const auto index = target.has_index() ? target.index() : c10::cuda::current_device();
  const auto consumer = c10::cuda::getCurrentCUDAStream(index);
  // One side stream per thread and device, taken once: a stream drawn from the pool on every
  // call would, every 32nd time, be the consumer's own.
  thread_local std::map<c10::DeviceIndex, c10::cuda::CUDAStream> side_streams;
  auto it = side_streams.find(index);
  if (it == side_streams.end())
    it = side_streams.emplace(index, c10::cuda::getStreamFromPool(false, index)).first;
  const auto side = it->second;
  std::vector<at::Tensor> copies;
  {
    c10::cuda::CUDAStreamGuard on_side(side);
    for (const auto& t : host)
      copies.push_back(t.pin_memory().to(at::Device(at::kCUDA, index), /*non_blocking=*/true));
  }
  order_after(side, consumer);
  // The copies were allocated on the side stream; their blocks must not be handed out again
  // before the consumer's work on them is done.
  for (auto& t : copies) t.record_stream(consumer);
  return copies;
#else
  throw std::invalid_argument("'" + device + "' requested but this build has no CUDA");
#endif
}

}  // namespace mae
