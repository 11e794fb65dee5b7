// Why: the ranks are this binary started again with torchrun's variables, on a loopback port the
// kernel picked, so they run the code path a torchrun launch runs; the parent waits for every
// rank, so that Ctrl+C, which the terminal sends to them all, ends the run at a step they agree on.
#include "local_ranks.h"

#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace mae::cli {

namespace {

std::vector<std::string> own_command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  const std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  for (size_t start = 0; start < raw.size();) {
    const size_t end = raw.find('\0', start);
    args.push_back(raw.substr(start, end - start));
    start = end == std::string::npos ? raw.size() : end + 1;
  }
  return args;
}

std::vector<std::string> rank_command_line(bool cuda) {
  std::vector<std::string> out;
  const auto args = own_command_line();
  bool has_device = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--ranks" || a == "--gpus") {
      ++i;  // and its value
      continue;
    }
    if (a.rfind("--ranks=", 0) == 0 || a.rfind("--gpus=", 0) == 0) continue;
    has_device = has_device || a == "--device" || a.rfind("--device=", 0) == 0;
    out.push_back(a);
  }
  if (cuda && !has_device) {
    out.emplace_back("--device");
    out.emplace_back("cuda");
  }
  return out;
}

// A port the kernel just found free on loopback (torchrun picks its port the same way).
int free_local_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    throw std::runtime_error(std::string("no socket for the rendezvous: ") + strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  close(fd);
  if (!ok)
    throw std::runtime_error(std::string("no free port for the rendezvous: ") + strerror(errno));
  return ntohs(addr.sin_port);
}

std::string describe_end(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  return "ended";
}

bool failed(int status) { return !WIFEXITED(status) || WEXITSTATUS(status) != 0; }

}  // namespace

void run_local_ranks(int count, bool cuda, std::chrono::seconds grace) {
  const auto args = rank_command_line(cuda);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  // The binary's own path, so the ranks show up as `mae` in ps and top.
  std::error_code ec;
  const std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (ec) throw std::runtime_error("cannot find the mae binary to start ranks: " + ec.message());
  const int port = free_local_port();
  // One OpenMP team per rank, sharing the cores (torchrun sets OMP_NUM_THREADS likewise).
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const std::string threads = std::to_string(std::max(1u, cores / static_cast<unsigned>(count)));

  std::map<pid_t, int> rank_of;
  std::fflush(nullptr);
  const pid_t launcher = getpid();
  for (int r = 0; r < count; ++r) {
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(std::string("cannot start a rank: ") + strerror(errno));
    if (pid == 0) {
      // Ranks end with their launcher (killed, or its terminal closed), never as orphans.
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() != launcher) _exit(1);
      setenv("RANK", std::to_string(r).c_str(), 1);
      setenv("LOCAL_RANK", std::to_string(r).c_str(), 1);
      setenv("WORLD_SIZE", std::to_string(count).c_str(), 1);
      setenv("LOCAL_WORLD_SIZE", std::to_string(count).c_str(), 1);
      setenv("MASTER_ADDR", "127.0.0.1", 1);
      setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
      setenv("MAE_LAUNCHER", "mae", 1);
      setenv("OMP_NUM_THREADS", threads.c_str(), 0);
      // The rank inherits the blocked SIGINT and SIGTERM, which its own main hands to their
      // thread again: one that comes before that waits for it instead of being lost.
      execv(self.c_str(), argv.data());
      std::fprintf(stderr, "mae: rank %d could not start: %s\n", r, strerror(errno));
      _exit(127);
    }
    rank_of[pid] = r;
  }
  // The terminal's Ctrl+C reaches every rank; they agree on a step to stop at, and this
  // process waits for them instead of dying first.
  std::signal(SIGINT, SIG_IGN);
  std::string pids;
  for (const auto& [pid, r] : rank_of) pids += (pids.empty() ? "" : ", ") + std::to_string(pid);
  std::fprintf(stderr, "started %d ranks on this machine (pids %s), rendezvous 127.0.0.1:%d\n",
               count, pids.c_str(), port);

  std::string first_failure;
  auto deadline = std::chrono::steady_clock::time_point::max();
  bool terminated = false;
  while (!rank_of.empty()) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, first_failure.empty() ? 0 : WNOHANG);
    if (pid > 0) {
      const int r = rank_of[pid];
      rank_of.erase(pid);
      if (failed(status) && first_failure.empty()) {
        first_failure = "rank " + std::to_string(r) + " " + describe_end(status);
        std::fprintf(stderr, "mae: %s; waiting up to %lld s for the other ranks to stop\n",
                     first_failure.c_str(), static_cast<long long>(grace.count()));
        deadline = std::chrono::steady_clock::now() + grace;
      }
      continue;
    }
    if (pid < 0 && errno != EINTR) break;
    if (std::chrono::steady_clock::now() > deadline) {
      for (const auto& [other, r] : rank_of) {
        kill(other, terminated ? SIGKILL : SIGTERM);
        kill(other, SIGCONT);  // a stopped rank acts on SIGTERM only once it runs again
      }
      if (!terminated)
        std::fprintf(stderr, "mae: %zu rank(s) did not stop by themselves; terminating them\n",
                     rank_of.size());
      terminated = true;
      deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::signal(SIGINT, SIG_DFL);
  if (!first_failure.empty()) throw std::runtime_error(first_failure + "; the run was stopped");
}

}  // namespace mae::cli
