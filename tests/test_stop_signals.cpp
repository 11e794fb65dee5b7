// Why: Ctrl+C must never run its handler on a thread that computes (one inside oneDNN's GEMM
// had its heap corrupted by the signal frame). Each case runs in a child process, since the
// signals' routing is for a whole process and lasts as long as it.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>

#include "util/stop_signals.h"

namespace {

std::atomic<pid_t> g_handled_on{0};

void record_thread(int) { g_handled_on = gettid(); }

// In a child: the routing, a busy thread, then `sig` sent to the whole process with `action`
// installed. Exit code 0: the handler ran on neither the main nor the busy thread; 1: it ran on
// one of them; 2: it never ran; 3: the process was still alive with the signal ignored.
int child_sends(int sig, void (*action)(int)) {
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    mae::take_stop_signals_on_their_own_thread();
    std::signal(sig, action);
    std::atomic<bool> stop{false};
    std::atomic<pid_t> busy{0};
    std::thread worker([&] {
      busy = gettid();
      volatile double x = 0;
      while (!stop) x = x + 1;
    });
    while (busy == 0) std::this_thread::yield();
    kill(getpid(), sig);
    for (int i = 0; i < 200 && g_handled_on == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    stop = true;
    worker.join();
    if (action == SIG_IGN) _exit(3);
    if (g_handled_on == 0) _exit(2);
    _exit(g_handled_on == getpid() || g_handled_on == busy ? 1 : 0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

}  // namespace

TEST_CASE("SIGINT and SIGTERM run their handler on the signals' own thread, never a busy one") {
  CHECK(child_sends(SIGINT, record_thread) == 0);
  CHECK(child_sends(SIGTERM, record_thread) == 0);
}

TEST_CASE("with the signals routed, SIG_DFL still ends the process by the signal, SIG_IGN not") {
  CHECK(child_sends(SIGTERM, SIG_DFL) == 100 + SIGTERM);
  CHECK(child_sends(SIGINT, SIG_DFL) == 100 + SIGINT);
  CHECK(child_sends(SIGINT, SIG_IGN) == 3);
}
