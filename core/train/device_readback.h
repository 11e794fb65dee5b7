// Why: reading a GPU number on the host waits for everything queued before it, so a loss read
// at the end of each step leaves the GPU idle until the host has queued the next one. Copied
// to page-locked memory behind an event instead, the number is read once the event has
// passed: the trainer reads a step's loss while the next step runs, and a thread can poll
// ready() without ever blocking on the GPU.
#pragma once

#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <vector>

namespace mae {

class DeviceReadback {
 public:
  // Queues copies of `tensors` to host memory on this thread's current stream; on the CPU it
  // just keeps them.
  explicit DeviceReadback(const std::vector<at::Tensor>& tensors);
  ~DeviceReadback();
  DeviceReadback(DeviceReadback&&) noexcept;
  DeviceReadback& operator=(DeviceReadback&&) noexcept;

  // Whether the copies have landed; never waits.
  bool ready() const;
  // The host copies, after waiting for them to land.
  const std::vector<at::Tensor>& wait();
  // Whether they came from a GPU into page-locked memory, which is scarce: a caller that
  // keeps them long copies them out.
  bool page_locked() const { return page_locked_; }

 private:
  struct Event;
  std::vector<at::Tensor> host_;
  std::unique_ptr<Event> landed_;  // null when nothing is on its way
  bool page_locked_ = false;
};

// A point in this thread's current GPU stream that another thread's stream can be ordered
// after without any host waiting: how the trainer hands device tensors (its weights) to the
// app's inference worker, which runs on a stream of its own. Nothing to wait for on the CPU.
class StreamFence {
 public:
  // Marks this thread's current stream on `device` ("cpu", "cuda", "cuda:N").
  explicit StreamFence(const std::string& device);
  ~StreamFence();
  StreamFence(const StreamFence&) = delete;
  StreamFence& operator=(const StreamFence&) = delete;
  // Work this thread queues on its current stream from now on runs after the marked point.
  void order_current_stream_after() const;

 private:
  struct Event;
  std::unique_ptr<Event> marked_;
};

// Waits for this thread's current stream on `device` to finish its work (a GPU only): after
// it, tensors another stream made and this stream read can be let go.
void finish_current_stream(const std::string& device);

}  // namespace mae
