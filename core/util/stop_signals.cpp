// Why: sigwait takes a blocked signal synchronously, so the handler the program installed runs
// as an ordinary function on a thread that computes nothing; the action is read when the
// signal comes, so std::signal keeps its meaning.
#include "util/stop_signals.h"

#include <pthread.h>

#include <csignal>
#include <thread>

namespace mae {

namespace {

void act_on(int sig) {
  struct sigaction action {};
  sigaction(sig, nullptr, &action);
  if ((action.sa_flags & SA_SIGINFO) == 0 && action.sa_handler == SIG_IGN) return;
  if ((action.sa_flags & SA_SIGINFO) == 0 && action.sa_handler == SIG_DFL) {
    // The default action, on this thread alone: the process ends by the signal.
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, sig);
    pthread_sigmask(SIG_UNBLOCK, &only, nullptr);
    raise(sig);  // SIGINT's and SIGTERM's default ends the process: raise does not return
    return;
  }
  if (action.sa_flags & SA_SIGINFO) {
    siginfo_t info{};
    info.si_signo = sig;
    action.sa_sigaction(sig, &info, nullptr);
  } else {
    action.sa_handler(sig);
  }
}

}  // namespace

void take_stop_signals_on_their_own_thread() {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  std::thread([stop] {
    for (;;) {
      int sig = 0;
      if (sigwait(&stop, &sig) == 0) act_on(sig);
    }
  }).detach();
}

}  // namespace mae
