// Why: a data-parallel run is started by a launcher (torchrun, Slurm's srun, or `mae train
// --ranks N`), and each launcher says who a process is in its own environment variables.
// Reading them in one pure function keeps the training code launcher-agnostic and lets the
// tests feed any environment.
#pragma once

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

namespace mae {

struct DistError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct RankLayout {
  int rank = 0;
  int world = 1;
  int local_rank = 0;  // which of this node's ranks (picks the GPU)
  int local_world = 1;
  std::string master_addr = "127.0.0.1";  // where rank 0's (or the agent's) TCPStore listens
  int master_port = 29500;
  bool store_is_hosted_by_agent = false;  // torchrun's agent already serves the TCPStore
  std::string launcher;                   // "torchrun", "slurm" or "mae"
};

using EnvLookup = std::function<const char*(const char*)>;

// The layout the launcher described, or nullopt for a plain single-process run. Throws
// DistError naming the variable when one is present but malformed or inconsistent.
std::optional<RankLayout> rank_layout_from_env(const EnvLookup& getenv);

// The first host of a Slurm node list: "gpu[03-05,09],cpu1" -> "gpu03".
std::string first_slurm_host(const std::string& node_list);

}  // namespace mae
