// Why: a recipe written for 64 GPUs (ViT-B/16's batch of 4096) started on one machine asks for
// hundreds of GiB, and the kernel's out-of-memory killer then ends the process: the app with
// its window and any unsaved run. Training is refused up front instead, with a batch that fits.
#pragma once

#include <cstdint>
#include <string>

#include "model/config.h"
#include "recipe/train_config.h"

namespace mae {

// What a training step holds at its peak on one rank, from the architecture alone: the
// weights with their gradients and AdamW moments, the step's input batches, and per image of
// a micro-batch the activations kept for the backward pass. Within about 15 % of measured peaks on
// the CPU (fmnist-tiny, rgb-small, ViT-B/16; fp32 and bf16) where the activations dominate
// (fmnist-tiny at batch 512: 835 MiB against 904-907); a small run's peak also holds some
// 30-100 MiB of the libraries' own (GEMM buffers, thread pools, freed memory not yet returned),
// which is not counted: it is small beside what the guard is for.
struct TrainingMemory {
  int64_t state_bytes = 0;  // weights, gradients, AdamW moments: what an ended run still holds
  // On a GPU every micro-batch of a step is loaded before the first one runs (a CUDA graph
  // needs them all in place), and the next step's while this one runs: ViT-B/16's 4096
  // images are 2.4 GiB each time. Ranks load one step's at once; one CPU process, each
  // micro-batch in its turn.
  int64_t step_input_bytes = 0;
  int64_t per_image_bytes = 0;  // of a micro-batch: activations kept for backward, copies
  int64_t fixed_bytes() const { return state_bytes + step_input_bytes; }
  int64_t at_batch(int64_t batch) const { return fixed_bytes() + batch * per_image_bytes; }
};
TrainingMemory estimate_training_memory(const MaeConfig& model, const TrainConfig& train);

// The largest micro-batch whose estimate fits in `available` bytes, with a tenth kept spare
// for the allocator and the estimate's error; 0 when not even one image fits.
int64_t largest_fitting_batch(const TrainingMemory& memory, int64_t available);

// "" when training fits in `available` bytes of train.device, else one line saying how much
// it needs, and the batch (and accumulation, to keep the images per step) that would fit.
std::string training_memory_problem(const MaeConfig& model, const TrainConfig& train,
                                    int64_t available);

// A recipe's run as it fits in `available` bytes: unchanged when it fits, else split into
// more micro-batches of the largest power of two that fits and divides the images per step,
// which keeps the step's images, its lr and its result the same (MAE has no batch norm).
// Unchanged when no such split fits; require_training_fits then says why.
TrainConfig fit_micro_batch(const MaeConfig& model, TrainConfig train, int64_t available);

// What one of `local_ranks` training processes on this host may count on: on the CPU they
// share the machine's free memory, on GPUs each has its own.
int64_t memory_for_one_rank(const std::string& device, int local_ranks);

// Throws std::runtime_error with training_memory_problem()'s line when the run would not fit
// in what train.device has free now, shared by `local_ranks` ranks on this host.
void require_training_fits(const MaeConfig& model, const TrainConfig& train, int local_ranks = 1);

// "310 MiB", "1.4 GiB", "20.5 TiB"
std::string format_bytes(int64_t bytes);

}  // namespace mae
