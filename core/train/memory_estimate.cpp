// Why: the activation count follows what our blocks keep for backward:
// per token and channel the LayerNorm inputs and outputs, q, k and v, the attention output,
// the projection and residuals (8), and three tensors of the MLP's width (fc1's output,
// GELU's slope and output); per head the attention probabilities; per image a few copies of
// the input (pixels, normalised, the patch targets); and on a GPU or with ranks the step's
// whole input, all of its micro-batches, loaded before the first runs.
// Measured on this project's CPU build (mae bench --steps 1 --warmup 1, peak resident memory, 2
// batch sizes each), in MiB per image:
//   fmnist-tiny 1.59 (estimate 1.68), rgb-small 3.66 (3.44), ViT-B/16 110 (128);
//   ViT-B/16 under bf16 autocast 65 (77): bf16 keeps about 0.6 of fp32's bytes.
#include "train/memory_estimate.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "model/masking.h"
#include "train/device.h"

namespace mae {

namespace {
// Elements a stack of `depth` blocks keeps per image for `tokens` tokens.
double stack_activations(int64_t depth, int64_t tokens, int64_t width, int64_t heads,
                         double mlp_ratio) {
  const auto t = static_cast<double>(tokens), d = static_cast<double>(width);
  return static_cast<double>(depth) *
         ((8.0 + 3.0 * mlp_ratio) * t * d + static_cast<double>(heads) * t * t);
}

}  // namespace

TrainingMemory estimate_training_memory(const MaeConfig& model, const TrainConfig& train) {
  const int64_t patches = model.num_patches();
  const int64_t kept = keep_count(patches, train.mask_ratio);
  const double activations =
      stack_activations(model.depth, 1 + kept, model.embed_dim, model.num_heads, model.mlp_ratio) +
      stack_activations(model.dec_depth, 1 + patches, model.dec_dim, model.dec_heads,
                        model.mlp_ratio);
  const double pixels = static_cast<double>(model.in_chans * model.img_h * model.img_w);
  const double bytes_per_activation = train.autocasts() ? 0.6 * 4.0 : 4.0;
  TrainingMemory m;
  // Weights, gradients and AdamW's two moments in fp32; under autocast the bf16 copies too.
  const double weight_bytes = train.autocasts() ? 18.0 : 16.0;
  m.state_bytes = static_cast<int64_t>(weight_bytes * model.parameter_count());
  // One CPU process loads each micro-batch in its turn (its inputs are in per_image_bytes);
  // ranks load a step's micro-batches at once, and one GPU the next step's too.
  const int64_t held_steps = train.ranks > 1 ? 1 : train.device == "cpu" ? 0 : 2;
  m.step_input_bytes = static_cast<int64_t>(
      static_cast<double>(held_steps * train.batch * train.accum_steps) * pixels * 4.0);
  m.per_image_bytes = static_cast<int64_t>(activations * bytes_per_activation + 8.0 * pixels * 4.0);
  return m;
}

int64_t largest_fitting_batch(const TrainingMemory& memory, int64_t available) {
  const auto usable = static_cast<int64_t>(0.9 * static_cast<double>(available));
  if (memory.per_image_bytes <= 0 || usable <= memory.fixed_bytes()) return 0;
  return (usable - memory.fixed_bytes()) / memory.per_image_bytes;
}

std::string format_bytes(int64_t bytes) {
  char text[32];
  const double mib = static_cast<double>(bytes) / (1 << 20);
  if (mib >= 1024 * 1024)
    std::snprintf(text, sizeof text, "%.1f TiB", mib / (1024 * 1024));
  else if (mib >= 1024)
    std::snprintf(text, sizeof text, "%.1f GiB", mib / 1024);
  else
    std::snprintf(text, sizeof text, "%.0f MiB", mib);
  return text;
}

std::string training_memory_problem(const MaeConfig& model, const TrainConfig& train,
                                    int64_t available) {
  const auto memory = estimate_training_memory(model, train);
  const int64_t fitting = largest_fitting_batch(memory, available);
  if (train.batch <= fitting) return "";
  std::string line = "training " + model.preset + " at batch " + std::to_string(train.batch) +
                     " needs about " + format_bytes(memory.at_batch(train.batch)) + " on " +
                     train.device + ", and " + format_bytes(available) + " is free";
  if (fitting == 0) return line + ": not even one image fits";
  // The largest power of two that fits, and the accumulation that keeps the images per step.
  int64_t batch = 1;
  while (batch * 2 <= fitting) batch *= 2;
  const int64_t per_step = train.batch * train.accum_steps;
  line += ": batch " + std::to_string(fitting) + " or less would fit";
  if (per_step % batch == 0)
    line += "; batch " + std::to_string(batch) + " with accumulation " +
            std::to_string(per_step / batch) + " keeps " + std::to_string(per_step) +
            " images per step";
  return line;
}

TrainConfig fit_micro_batch(const MaeConfig& model, TrainConfig train, int64_t available) {
  const int64_t fitting = largest_fitting_batch(estimate_training_memory(model, train), available);
  const int64_t per_step = train.batch * train.accum_steps;
  if (train.batch <= fitting || fitting == 0) return train;
  int64_t batch = 1;
  while (batch * 2 <= fitting) batch *= 2;
  if (per_step % batch != 0) return train;
  TrainConfig split = train;
  split.batch = batch;
  split.accum_steps = per_step / batch;
  try {
    split.validate();  // within the accumulation TrainConfig allows
  } catch (const std::invalid_argument&) {
    return train;
  }
  return split;
}

int64_t memory_for_one_rank(const std::string& device, int local_ranks) {
  const std::string resolved = resolve_device(device);
  const int64_t free = memory_available(resolved);
  return resolved == "cpu" ? free / std::max(1, local_ranks) : free;
}

void require_training_fits(const MaeConfig& model, const TrainConfig& train, int local_ranks) {
  const auto problem =
      training_memory_problem(model, train, memory_for_one_rank(train.device, local_ranks));
  if (problem.empty()) return;
  const bool shared = local_ranks > 1 && resolve_device(train.device) == "cpu";
  throw std::runtime_error(problem + (shared ? " (for each of the " + std::to_string(local_ranks) +
                                                   " ranks that share this host)"
                                             : ""));
}

}  // namespace mae
