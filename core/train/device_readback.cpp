// Why: the copies land in page-locked buffers, since a copy into ordinary memory would block the
// host; CPU tensors are kept as they are, with nothing to wait for.
#include "train/device_readback.h"

#include <ATen/ATen.h>

#ifdef MAE_HAVE_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAEvent.h>
#endif

namespace mae {

#ifdef MAE_HAVE_CUDA
struct DeviceReadback::Event {
  at::cuda::CUDAEvent event;
};
#else
struct DeviceReadback::Event {};
#endif

DeviceReadback::DeviceReadback(const std::vector<at::Tensor>& tensors) {
  const at::Tensor* on_gpu = nullptr;
  for (const auto& t : tensors)
    if (t.is_cuda() && !on_gpu) on_gpu = &t;
  if (!on_gpu) {
    host_ = tensors;
    return;
  }
#ifdef MAE_HAVE_CUDA
  for (const auto& t : tensors) {
    auto host = at::empty(t.sizes(), t.options().device(at::kCPU).pinned_memory(t.is_cuda()));
    host.copy_(t, /*non_blocking=*/true);
    host_.push_back(std::move(host));
  }
  page_locked_ = true;
  landed_ = std::make_unique<Event>();
  landed_->event.record(at::cuda::getCurrentCUDAStream(on_gpu->device().index()));
#endif
}

DeviceReadback::~DeviceReadback() = default;
DeviceReadback::DeviceReadback(DeviceReadback&&) noexcept = default;
DeviceReadback& DeviceReadback::operator=(DeviceReadback&&) noexcept = default;

bool DeviceReadback::ready() const {
#ifdef MAE_HAVE_CUDA
  if (landed_) return landed_->event.query();
#endif
  return true;
}

const std::vector<at::Tensor>& DeviceReadback::wait() {
#ifdef MAE_HAVE_CUDA
  if (landed_) landed_->event.synchronize();
#endif
  landed_.reset();
  return host_;
}

#ifdef MAE_HAVE_CUDA
struct StreamFence::Event {
  at::cuda::CUDAEvent event;
};

StreamFence::StreamFence(const std::string& device) {
  const at::Device d(device);
  if (!d.is_cuda()) return;
  marked_ = std::make_unique<Event>();
  marked_->event.record(at::cuda::getCurrentCUDAStream(d.has_index() ? d.index() : -1));
}

void StreamFence::order_current_stream_after() const {
  if (marked_) marked_->event.block(at::cuda::getCurrentCUDAStream(marked_->event.device_index()));
}

void finish_current_stream(const std::string& device) {
  const at::Device d(device);
  if (d.is_cuda()) at::cuda::getCurrentCUDAStream(d.has_index() ? d.index() : -1).synchronize();
}
#else
struct StreamFence::Event {};
StreamFence::StreamFence(const std::string&) {}
void StreamFence::order_current_stream_after() const {}
void finish_current_stream(const std::string&) {}
#endif

StreamFence::~StreamFence() = default;

}  // namespace mae
