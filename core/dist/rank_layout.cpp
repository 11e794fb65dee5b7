// Why: one place that knows torchrun's and Slurm's variable names and checks them.
#include "dist/rank_layout.h"

#include <charconv>

namespace mae {

namespace {

int parse_int(const EnvLookup& getenv, const char* name, int lo, int hi) {
  const char* text = getenv(name);
  const std::string value = text ? text : "";
  int out = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size() || out < lo ||
      out > hi)
    throw DistError(std::string(name) + "='" + value + "' is not an integer in " +
                    std::to_string(lo) + ".." + std::to_string(hi));
  return out;
}

bool present(const EnvLookup& getenv, const char* name) {
  const char* v = getenv(name);
  return v && *v;
}

constexpr int kMaxRanks = 1 << 16;

void check_consistent(const RankLayout& l) {
  if (l.rank >= l.world)
    throw DistError("rank " + std::to_string(l.rank) + " is not below the world size " +
                    std::to_string(l.world));
  if (l.local_rank >= l.local_world)
    throw DistError("local rank " + std::to_string(l.local_rank) +
                    " is not below the local world size " + std::to_string(l.local_world));
}

// SLURM_STEP_TASKS_PER_NODE looks like "4(x2),3": the count of this node is not knowable
// from it alone, so the first group's count is used (Slurm gives every node the same number
// of tasks when --ntasks-per-node is set, which multi-GPU jobs do).
int first_task_count(const std::string& spec) {
  int out = 0;
  std::from_chars(spec.data(), spec.data() + spec.size(), out);
  return out > 0 ? out : 1;
}

}  // namespace

std::string first_slurm_host(const std::string& node_list) {
  const std::string first = node_list.substr(0, node_list.find_first_of(",["));
  const size_t bracket = node_list.find('[');
  const size_t comma = node_list.find(',');
  if (bracket == std::string::npos || (comma != std::string::npos && comma < bracket))
    return first;  // "a,b" or a single plain name
  const size_t close = node_list.find(']', bracket);
  if (close == std::string::npos) throw DistError("malformed Slurm node list '" + node_list + "'");
  const std::string range = node_list.substr(bracket + 1, close - bracket - 1);
  return first + range.substr(0, range.find_first_of(",-"));
}

std::optional<RankLayout> rank_layout_from_env(const EnvLookup& getenv) {
  RankLayout l;
  if (present(getenv, "WORLD_SIZE") || present(getenv, "RANK")) {
    l.world = parse_int(getenv, "WORLD_SIZE", 1, kMaxRanks);
    l.rank = parse_int(getenv, "RANK", 0, kMaxRanks);
    l.local_rank =
        present(getenv, "LOCAL_RANK") ? parse_int(getenv, "LOCAL_RANK", 0, kMaxRanks) : l.rank;
    l.local_world = present(getenv, "LOCAL_WORLD_SIZE")
                        ? parse_int(getenv, "LOCAL_WORLD_SIZE", 1, kMaxRanks)
                        : l.world;
    if (!present(getenv, "MASTER_ADDR") || !present(getenv, "MASTER_PORT"))
      throw DistError("RANK and WORLD_SIZE are set but MASTER_ADDR or MASTER_PORT is not");
    l.master_addr = getenv("MASTER_ADDR");
    l.master_port = parse_int(getenv, "MASTER_PORT", 1, 65535);
    const char* agent = getenv("TORCHELASTIC_USE_AGENT_STORE");
    l.store_is_hosted_by_agent = agent && std::string(agent) == "True";
    l.launcher = present(getenv, "TORCHELASTIC_RUN_ID") ? "torchrun" : "mae";
    if (present(getenv, "MAE_LAUNCHER")) l.launcher = getenv("MAE_LAUNCHER");
  } else if (present(getenv, "SLURM_STEP_NUM_TASKS") && present(getenv, "SLURM_PROCID")) {
    l.world = parse_int(getenv, "SLURM_STEP_NUM_TASKS", 1, kMaxRanks);
    if (l.world == 1) return std::nullopt;  // a one-task step is a plain run
    l.rank = parse_int(getenv, "SLURM_PROCID", 0, kMaxRanks);
    l.local_rank =
        present(getenv, "SLURM_LOCALID") ? parse_int(getenv, "SLURM_LOCALID", 0, kMaxRanks) : 0;
    const char* per_node = getenv("SLURM_STEP_TASKS_PER_NODE");
    l.local_world = per_node ? first_task_count(per_node) : 1;
    if (present(getenv, "MASTER_ADDR")) {
      l.master_addr = getenv("MASTER_ADDR");
    } else {
      const char* nodes = getenv("SLURM_STEP_NODELIST");
      if (!nodes || !*nodes) nodes = getenv("SLURM_JOB_NODELIST");
      if (!nodes || !*nodes)
        throw DistError("Slurm step without SLURM_STEP_NODELIST: set MASTER_ADDR");
      l.master_addr = first_slurm_host(nodes);
    }
    // One port per job, so two jobs sharing a node do not meet at the same store.
    l.master_port = present(getenv, "MASTER_PORT")
                        ? parse_int(getenv, "MASTER_PORT", 1, 65535)
                        : 29500 + (present(getenv, "SLURM_JOB_ID")
                                       ? parse_int(getenv, "SLURM_JOB_ID", 0, 1 << 30) % 10000
                                       : 0);
    l.launcher = "slurm";
  } else {
    return std::nullopt;
  }
  check_consistent(l);
  return l;
}

}  // namespace mae
