// Why: on a GPU a small or medium model's step is hundreds of kernel launches, and the host
// that issues them (with the autograd engine's bookkeeping in between) can be slower than
// the GPU that runs them. A CUDA graph records the step's kernels once and replays them with
// one launch. The price is fixed shapes and addresses: the batch is copied into buffers the
// graph owns, the learning rate is read from a device scalar, and the loss and skip flag come
// out of the same tensors every replay.
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace mae {

// What a step's device work reads and leaves behind.
struct StepInputs {
  std::vector<at::Tensor> images, noise;  // one each per micro-batch, on the device
};
struct StepOutputs {
  at::Tensor loss;       // float scalar: the step's mean loss
  at::Tensor found_inf;  // float scalar: 1 when the step was skipped
};

class CapturedStep {
 public:
  // Records `body` run on buffers shaped like `example` (the current step's inputs, which are
  // copied in) on a side stream; nothing runs yet. Throws when the work cannot be captured;
  // the caller's stream is then as it was.
  CapturedStep(const std::function<StepOutputs(const StepInputs&)>& body,
               const StepInputs& example);
  ~CapturedStep();
  CapturedStep(const CapturedStep&) = delete;
  CapturedStep& operator=(const CapturedStep&) = delete;

  // Copies a step's inputs (host or device tensors of the captured shapes) into the graph's
  // buffers without waiting, and replays the step on the current stream.
  StepOutputs replay(const StepInputs& inputs);

 private:
  struct Graph;
  std::unique_ptr<Graph> graph_;
  StepInputs buffers_;
  StepOutputs outputs_;
};

class FusedAdamW;

// Captures `body` (a step that ends with `optimizer`'s update) after switching the optimizer to
// a device learning rate, or says why it cannot: the graph, or null with `failure` set to the
// reason in one line and the gradients the failed capture left behind dropped; the caller
// then runs its steps eagerly.
std::unique_ptr<CapturedStep> try_capture(const std::function<StepOutputs(const StepInputs&)>& body,
                                          const StepInputs& example, FusedAdamW& optimizer,
                                          std::string* failure);

}  // namespace mae
