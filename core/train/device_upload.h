// Why: a batch copied to the GPU on the stream that trains waits behind the step before it
// and delays the step after it. Copied from page-locked memory on a side stream instead, it
// crosses the bus while the previous step computes; the training stream only waits (an
// event, on the device) for the copy to land before it reads the batch.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

namespace mae {

// Queues copies of host tensors to `device` (a resolved "cuda" or "cuda:N") on a side
// stream and makes this thread's current stream wait for them; the host does not wait. The
// copies' memory is kept for the current stream's use. Tensors that are not page-locked are
// pinned first (a host copy). On the CPU it returns `host` as it is.
std::vector<at::Tensor> upload_behind_current_stream(const std::vector<at::Tensor>& host,
                                                     const std::string& device);

}  // namespace mae
