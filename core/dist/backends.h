// Why: the only header that names c10d backends; each backend lives in its own file so the
// NCCL one is compiled only where LibTorch has CUDA, and the Gloo one alone needs Gloo's
// headers (see docs/distributed.md for why those come from Debian's libgloo-dev).
#pragma once

#include <chrono>
#include <string>
#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>

namespace mae::dist_detail {

c10::intrusive_ptr<c10d::Backend> make_gloo_backend(const c10::intrusive_ptr<c10d::Store>& store,
                                                    int rank, int world,
                                                    std::chrono::milliseconds timeout);

// Makes GPU `device_index` this thread's current device first (NCCL binds a communicator
// to it). Throws DistError where this build has no NCCL.
c10::intrusive_ptr<c10d::Backend> make_nccl_backend(const c10::intrusive_ptr<c10d::Store>& store,
                                                    int rank, int world, int device_index,
                                                    std::chrono::milliseconds timeout);

}  // namespace mae::dist_detail
