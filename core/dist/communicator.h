// Why: the trainer needs four things from torch.distributed (join, sum-reduce, broadcast,
// barrier) and must turn a lost or hung peer into a message, not a hang. This wraps c10d
// behind a small interface so that no header outside dist/ sees c10d or Gloo.
#pragma once

#include <ATen/core/Tensor.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dist/rank_layout.h"

namespace c10d {
class Backend;
}

namespace mae {

// A collective that is under way; wait() throws DistError when a peer failed or timed out.
class PendingCollective {
 public:
  explicit PendingCollective(std::function<void()> wait) : wait_(std::move(wait)) {}
  void wait() { wait_(); }

 private:
  std::function<void()> wait_;
};

class Communicator {
 public:
  // Joins the group through the TCPStore at layout.master_addr:master_port, then Gloo on the
  // CPU or NCCL on CUDA. `timeout` bounds the rendezvous and every collective.
  static std::unique_ptr<Communicator> connect(const RankLayout& layout, const std::string& device,
                                               std::chrono::milliseconds timeout);
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const { return layout_.rank; }
  int world() const { return layout_.world; }
  const RankLayout& layout() const { return layout_; }
  const std::string& backend_name() const { return backend_name_; }

  // Sums `flat` over the ranks, in place. `what` names it in error messages.
  PendingCollective all_reduce_sum(const at::Tensor& flat, const std::string& what);
  // Every rank's tensors take rank `root`'s values.
  void broadcast(std::vector<at::Tensor>& tensors, int root, const std::string& what);
  void barrier(const std::string& what);

 private:
  Communicator(RankLayout layout, std::string backend_name, std::chrono::milliseconds timeout);
  std::string failure(const std::string& what, const std::exception& e) const;

  RankLayout layout_;
  std::string backend_name_;
  std::chrono::milliseconds timeout_;
  struct Group;
  std::unique_ptr<Group> group_;
};

}  // namespace mae
