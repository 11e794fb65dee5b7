// Why: helper threads (data loader workers, the first-pass decoders) call ATen ops too, and
// each such op would start its own OpenMP team as wide as the machine; on two cores that
// oversubscribes the CPU and slows the training step by a quarter. A helper thread runs
// its ATen ops on itself alone, leaving the cores to the training step.
#pragma once

namespace mae {

// Sets OpenMP's thread count for the calling thread only (it is a per-thread setting), so
// ATen's parallel_for runs serially here. The process-wide setting is untouched.
void use_one_intra_op_thread_here();

}  // namespace mae
