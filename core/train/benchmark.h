// Why: throughput figures for a preset on a device, measured the way training runs it
// (forward, backward, AdamW step on synthetic batches, so the data pipeline is excluded).
#pragma once

#include <cstdint>
#include <string>

#include "model/config.h"
#include "train/step_profile.h"

namespace mae {

struct BenchOptions {
  std::string device = "auto";
  int64_t batch = 32;
  int64_t warmup_steps = 2;
  int64_t steps = 5;
  bool bf16 = true;       // bf16 autocast on CUDA
  bool cpu_bf16 = false;  // and on the CPU
  double mask_ratio = 0.75;
  bool cuda_graphs = true;  // on a GPU, time the training step replayed as a CUDA graph
  // After the timed steps, profile one more training step (and save its Chrome trace
  // here when not empty).
  bool profile = false;
  std::string profile_trace;
};

struct BenchResult {
  double train_images_per_sec = 0.0;
  double train_step_ms = 0.0;  // median
  // The fastest step: on a shared, noisy machine interference only ever slows a step down,
  // so the minimum is the steadier figure for comparing two programs run one after another.
  double train_step_fastest_ms = 0.0;
  double infer_images_per_sec = 0.0;
  double infer_batch_ms = 0.0;  // median
  // One image reconstructed at a new ratio, as the app's explorer does for each slider
  // move (median over several ratios; the same model call as infer/reconstruct.h).
  double slider_ms = 0.0;
  int64_t peak_memory_bytes = 0;
  // In use before the model was made: on the CPU the whole process's resident memory, its
  // libraries (about 0.4 GiB) included, which the peak includes too; on a GPU torch's
  // tensors alone (none). The peak less this is what the run took.
  int64_t memory_before_bytes = 0;
  // What the memory guard estimates a training step needs (memory_estimate.h), to set
  // beside what the run took.
  int64_t estimated_memory_bytes = 0;
  int threads = 0;
  std::string device;        // what it ran on, resolved ("cpu", "cuda")
  std::string device_note;   // describe_device(device), taken before the run
  StepProfile profile;       // when BenchOptions::profile
  std::string graph_note;    // on a GPU: whether the step was a CUDA graph, or why not
  std::string kernels_note;  // on a GPU: our fusions and the attention kernels it took
};

BenchResult run_benchmark(const MaeConfig& config, const BenchOptions& options);

}  // namespace mae
