// Why: a signal handler runs on whichever thread the kernel picks, on that thread's stack, and
// a Ctrl+C that landed on a thread inside oneDNN's GEMM corrupted the heap: about one
// interrupted `mae train` in ten aborted ("corrupted size vs. prev_size") instead of saving.
// So SIGINT and SIGTERM reach no computing thread: they wait, blocked, for one thread of their
// own, which runs the handler the program installed (std::signal) as a plain call.
#pragma once

namespace mae {

// Call first in main, before any thread starts (threads inherit the blocked signals). After
// it, std::signal still chooses what SIGINT and SIGTERM do: a handler is called on the
// signals' thread, SIG_IGN ignores them, SIG_DFL ends the process by them as before.
// Processes started later inherit the block: posix_spawn them with an empty signal mask.
void take_stop_signals_on_their_own_thread();

}  // namespace mae
