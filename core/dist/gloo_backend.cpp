// Why: Gloo for CPU ranks. Only c10d's exported functions are called (the Options factory,
// the device factory and the constructor); Gloo's own types cross only as shared_ptr, so
// the Gloo headers used to compile this file need not match the copy inside libtorch_cpu
// byte for byte. tests/check_gloo_boundary.sh checks that this object uses no gloo:: symbol.
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>

#include "dist/backends.h"
#include "dist/rank_layout.h"

namespace mae::dist_detail {

c10::intrusive_ptr<c10d::Backend> make_gloo_backend(const c10::intrusive_ptr<c10d::Store>& store,
                                                    int rank, int world,
                                                    std::chrono::milliseconds timeout) {
  auto options = c10d::ProcessGroupGloo::Options::create(timeout);
  // The interface that resolves the master's address: loopback for one machine, the
  // routed one across machines (GLOO_SOCKET_IFNAME overrides, as in torch).
  options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  return c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world, options);
}

}  // namespace mae::dist_detail
