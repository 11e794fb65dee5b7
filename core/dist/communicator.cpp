// Why: rendezvous, backend choice and error translation for the data-parallel trainer.
#include "dist/communicator.h"

#include <cstdlib>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "dist/backends.h"

namespace mae {

struct Communicator::Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::Backend> backend;
};

namespace {

// c10d's messages carry a C++ backtrace and source paths; the first line says what happened.
std::string first_line(const std::exception& e) {
  const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
  std::string text = c10_error ? c10_error->what_without_backtrace() : e.what();
  if (const size_t nl = text.find('\n'); nl != std::string::npos) text.resize(nl);
  return text;
}

}  // namespace

Communicator::Communicator(RankLayout layout, std::string backend_name,
                           std::chrono::milliseconds timeout)
    : layout_(std::move(layout)),
      backend_name_(std::move(backend_name)),
      timeout_(timeout),
      group_(std::make_unique<Group>()) {}

Communicator::~Communicator() = default;

std::string Communicator::failure(const std::string& what, const std::exception& e) const {
  return "rank " + std::to_string(layout_.rank) + " of " + std::to_string(layout_.world) + ": " +
         what + " failed (a rank stopped, crashed or did not answer within " +
         std::to_string(timeout_.count() / 1000) + " s): " + first_line(e);
}

std::unique_ptr<Communicator> Communicator::connect(const RankLayout& layout,
                                                    const std::string& device,
                                                    std::chrono::milliseconds timeout) {
  const bool cuda = device.rfind("cuda", 0) == 0;
  const size_t colon = device.find(':');
  const int device_index = cuda && colon != std::string::npos
                               ? std::atoi(device.c_str() + colon + 1)
                               : layout.local_rank;
  std::unique_ptr<Communicator> c(new Communicator(layout, cuda ? "nccl" : "gloo", timeout));
  const std::string where = layout.master_addr + ":" + std::to_string(layout.master_port);
  try {
    c10d::TCPStoreOptions options;
    options.port = static_cast<uint16_t>(layout.master_port);
    options.isServer = layout.rank == 0 && !layout.store_is_hosted_by_agent;
    options.numWorkers = layout.world;
    options.waitWorkers = false;
    options.timeout = timeout;
    auto tcp = c10::make_intrusive<c10d::TCPStore>(layout.master_addr, options);
    // A prefix keeps our keys apart from the launcher agent's own keys in a shared store.
    c->group_->store = c10::make_intrusive<c10d::PrefixStore>("mae/", tcp);
  } catch (const std::exception& e) {
    throw DistError(c->failure("meeting the other ranks at " + where, e));
  }
  try {
    c->group_->backend =
        cuda ? dist_detail::make_nccl_backend(c->group_->store, layout.rank, layout.world,
                                              device_index, timeout)
             : dist_detail::make_gloo_backend(c->group_->store, layout.rank, layout.world, timeout);
  } catch (const DistError&) {
    throw;
  } catch (const std::exception& e) {
    throw DistError(c->failure("connecting " + c->backend_name_ + " through " + where, e));
  }
  return c;
}

PendingCollective Communicator::all_reduce_sum(const at::Tensor& flat, const std::string& what) {
  std::vector<at::Tensor> tensors{flat};
  c10::intrusive_ptr<c10d::Work> work;
  try {
    c10d::AllreduceOptions options;
    options.reduceOp = c10d::ReduceOp::SUM;
    options.timeout = timeout_;
    work = group_->backend->allreduce(tensors, options);
  } catch (const std::exception& e) {
    throw DistError(failure(what, e));
  }
  return PendingCollective([this, work, what] {
    try {
      work->wait(timeout_);
    } catch (const std::exception& e) {
      throw DistError(failure(what, e));
    }
  });
}

void Communicator::broadcast(std::vector<at::Tensor>& tensors, int root, const std::string& what) {
  try {
    for (auto& t : tensors) {
      std::vector<at::Tensor> one{t};
      c10d::BroadcastOptions options;
      options.rootRank = root;
      options.timeout = timeout_;
      group_->backend->broadcast(one, options)->wait(timeout_);
    }
  } catch (const std::exception& e) {
    throw DistError(failure(what, e));
  }
}

void Communicator::barrier(const std::string& what) {
  try {
    c10d::BarrierOptions options;
    options.timeout = timeout_;
    group_->backend->barrier(options)->wait(timeout_);
  } catch (const std::exception& e) {
    throw DistError(failure(what, e));
  }
}

}  // namespace mae
