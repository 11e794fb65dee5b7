// Why: everything about a training run that is not the architecture, in one plain struct
// that the CLI fills, the checkpoint stores, and resume reads back.
#pragma once

#include <cstdint>
#include <string>

#include "model/masking.h"

namespace mae {

struct TrainConfig {
  // The most micro-batches one optimizer step may take (ViT-H/14's recipe split to batch 1).
  static constexpr int64_t kMaxAccumSteps = int64_t{1} << 12;

  std::string data = "fashion-mnist";
  int64_t batch = 64;          // per rank and optimizer micro-step
  int64_t accum_steps = 1;     // micro-batches per optimizer step
  int64_t ranks = 1;           // data-parallel processes; each takes `batch` of every step
  int64_t total_steps = 1000;  // optimizer steps
  double base_lr = 1.5e-4;     // lr = base_lr * effective_batch() / 256, unless lr > 0
  double lr = 0.0;             // absolute lr override
  double min_lr = 0.0;
  int64_t warmup_steps = 50;
  double weight_decay = 0.05;
  double beta1 = 0.9;
  double beta2 = 0.95;
  double mask_ratio = 0.75;
  MaskStrategy mask_strategy = MaskStrategy::Random;
  double crop_scale_min = 0.2;
  bool hflip = true;
  uint64_t seed = 0;
  std::string device = "cpu";  // "cpu" or "cuda"
  bool bf16 = true;            // autocast to bfloat16 on CUDA
  bool cpu_bf16 = false;       // autocast to bfloat16 on the CPU too (pays with AVX-512 BF16)
  bool cuda_graphs = true;     // on one GPU, capture the step once and replay it
  // The loader threads only copy out each picture's crop region, and the training device
  // resizes, mirrors and normalizes: a fraction of the CPU time per image, for GPUs (on
  // the CPU it only moves that work onto the training thread).
  bool crops_on_device = false;
  int64_t loader_workers = 2;

  // Whether steps run under bf16 autocast on this config's device.
  bool autocasts() const { return device == "cpu" ? cpu_bf16 : bf16; }
  // Images per optimizer step over all ranks (the authors' eff_batch_size).
  int64_t effective_batch() const { return batch * accum_steps * ranks; }
  double peak_lr() const {
    return lr > 0 ? lr : base_lr * static_cast<double>(effective_batch()) / 256.0;
  }
  std::string to_json() const;
  // Throws std::invalid_argument naming the first field outside its sane range.
  void validate() const;
  // Parses and validates; throws std::invalid_argument.
  static TrainConfig from_json(const std::string& text);
};

// Linear warmup over warmup_steps, then half-cycle cosine to min_lr at total_steps
// (the authors' per-iteration schedule, expressed in steps).
double learning_rate_at(const TrainConfig& config, int64_t step);

}  // namespace mae
