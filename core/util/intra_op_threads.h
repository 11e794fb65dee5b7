// Why: helper threads (data loader workers, the first-pass decoders, the app's inference
// worker beside a CPU training run) call ATen ops too, and each such op would start its own
// OpenMP team as wide as the machine; on two cores that oversubscribes the CPU and slows
// the training step by a quarter. A helper thread runs its ATen ops on fewer threads (one,
// usually), leaving the cores to the training step.
#pragma once

namespace mae {

// Sets OpenMP's thread count for the calling thread only (it is a per-thread setting): at 1,
// ATen's parallel_for runs serially here. The process-wide setting is untouched. Cheap (a
// per-thread variable is written), so callers may set it before every piece of work.
void set_intra_op_threads_here(int threads);
// The thread count the calling thread's ATen ops use now.
int intra_op_threads_here();
// The thread count of a thread that kept the default (OMP_NUM_THREADS, else one per core):
// what training uses, whatever the calling thread chose for itself.
int default_intra_op_threads();

}  // namespace mae
