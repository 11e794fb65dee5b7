// Why: capture follows torch's rules for whole-step graphs: it runs on
// a side stream that first waits for the caller's, with autocast's weight-cast cache off
// (a cached cast would outlive the capture), and the gradients are none at its start so that
// backward allocates them from the graph's own memory pool.
#include "train/captured_step.h"

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>

#include <stdexcept>

#include "train/fused_adamw.h"
#include "util/one_line_error.h"

#ifdef MAE_HAVE_CUDA
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include "train/stream_order.h"
#endif

namespace mae {

namespace {
void copy_into(const std::vector<at::Tensor>& to, const std::vector<at::Tensor>& from) {
  if (to.size() != from.size()) throw std::invalid_argument("a captured step's inputs changed");
  for (size_t i = 0; i < to.size(); ++i) {
    if (!to[i].sizes().equals(from[i].sizes()))
      throw std::invalid_argument("a captured step's input changed shape");
    to[i].copy_(from[i], /*non_blocking=*/true);
  }
}

std::vector<at::Tensor> buffers_like(const std::vector<at::Tensor>& examples) {
  std::vector<at::Tensor> out;
  for (const auto& e : examples) out.push_back(at::empty(e.sizes(), e.options()));
  return out;
}
}  // namespace

#ifdef MAE_HAVE_CUDA
struct CapturedStep::Graph {
  at::cuda::CUDAGraph graph;
};

CapturedStep::CapturedStep(const std::function<StepOutputs(const StepInputs&)>& body,
                           const StepInputs& example) {
  if (example.images.empty() || !example.images.front().is_cuda())
    throw std::invalid_argument("only work on a CUDA device can be captured");
  graph_ = std::make_unique<Graph>();  // after the check: a CUDA graph needs a working driver
  buffers_.images = buffers_like(example.images);
  buffers_.noise = buffers_like(example.noise);
  copy_into(buffers_.images, example.images);
  copy_into(buffers_.noise, example.noise);

  const auto caller = c10::cuda::getCurrentCUDAStream();
  const auto side = c10::cuda::getStreamFromPool(false, caller.device_index());
  order_after(caller, side);
  const bool cache = at::autocast::is_autocast_cache_enabled();
  at::autocast::set_autocast_cache_enabled(false);
  {
    c10::cuda::CUDAStreamGuard on_side(side);
    // Thread-local: a CUDA call from another thread (the app's inference worker, say) does
    // not void the capture; the autograd engine's thread launches onto this stream as usual.
    graph_->graph.capture_begin({0, 0}, cudaStreamCaptureModeThreadLocal);
    try {
      outputs_ = body(buffers_);
      graph_->graph.capture_end();
    } catch (...) {
      at::autocast::set_autocast_cache_enabled(cache);
      try {
        graph_->graph.capture_end();  // leaves capture mode; the capture is void anyway
      } catch (...) {
      }
      throw;
    }
  }
  at::autocast::set_autocast_cache_enabled(cache);
  order_after(side, caller);
}

StepOutputs CapturedStep::replay(const StepInputs& inputs) {
  copy_into(buffers_.images, inputs.images);
  copy_into(buffers_.noise, inputs.noise);
  graph_->graph.replay();
  return outputs_;
}
#else
struct CapturedStep::Graph {};

CapturedStep::CapturedStep(const std::function<StepOutputs(const StepInputs&)>& body,
                           const StepInputs& example) {
  (void)body;
  (void)example;
  throw std::invalid_argument("this build has no CUDA");
}

StepOutputs CapturedStep::replay(const StepInputs& inputs) {
  (void)inputs;
  return outputs_;
}
#endif

CapturedStep::~CapturedStep() = default;

std::unique_ptr<CapturedStep> try_capture(const std::function<StepOutputs(const StepInputs&)>& body,
                                          const StepInputs& example, FusedAdamW& optimizer,
                                          std::string* failure) {
  try {
    optimizer.use_device_lr();
    return std::make_unique<CapturedStep>(body, example);
  } catch (const std::exception& e) {
    optimizer.zero_grad();
    *failure = one_line_error(e);
    return nullptr;
  }
}

}  // namespace mae
