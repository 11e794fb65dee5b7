// Why: `mae train --ranks N` (or --gpus N) is the one-command way to train data-parallel on
// one machine, without torchrun: the command starts N copies of itself as ranks 0..N-1 with
// the same variables torchrun would set, and stops the others when one of them fails.
#pragma once

#include <chrono>

namespace mae::cli {

// Re-runs this process's command line without --ranks/--gpus as `count` local ranks and
// waits for all of them. `cuda` adds "--device cuda" when no device was named. Throws with
// the first failure (which rank, exit code or signal); the others get `grace` to notice it
// themselves and are then terminated.
void run_local_ranks(int count, bool cuda, std::chrono::seconds grace);

}  // namespace mae::cli
