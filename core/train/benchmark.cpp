// Why: steps are timed after a warm-up, each to the device's completion, and the median is
// reported, so one slow step (a page fault, a clock change) does not move the figure.
#include "train/benchmark.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/utils.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <vector>

#include "infer/reconstruct.h"
#include "model/gpu_fusions.h"
#include "model/mae_model.h"
#include "train/captured_step.h"
#include "train/device.h"
#include "train/memory_estimate.h"
#include "train/optimizer.h"

namespace mae {

namespace {
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
}  // namespace

BenchResult run_benchmark(const MaeConfig& config, const BenchOptions& options) {
  if (options.batch < 1 || options.steps < 1 || options.warmup_steps < 0)
    throw std::invalid_argument("benchmark: batch and steps must be at least 1, warm-up steps 0");
  using clock = std::chrono::steady_clock;
  const std::string device = resolve_device(options.device);
  const bool autocast = device != "cpu" ? options.bf16 : options.cpu_bf16;
  const int64_t memory_before = memory_in_use(device);
  TrainConfig tc;
  tc.device = device;
  tc.batch = options.batch;
  tc.mask_ratio = options.mask_ratio;
  tc.bf16 = options.bf16;
  tc.cpu_bf16 = options.cpu_bf16;
  require_training_fits(config, tc);
  auto model = make_model(config, 0);
  model->to(at::Device(device));
  auto params = trainable_parameters(model);
  auto optimizer = make_optimizer(params, tc);
  auto images = at::randn({options.batch, config.in_chans, config.img_h, config.img_w})
                    .to(at::Device(device));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
  const int64_t len_keep = keep_count(config.num_patches(), options.mask_ratio);
  reset_peak_memory(device);

  BenchResult r;
  r.threads = at::get_num_threads();
  r.device = device;
  r.device_note = describe_device(device);
  if (device != "cpu") r.kernels_note = describe_gpu_kernels(at::Device(device).index());
  // As the trainer does: the skip flag on the device, the fused update, one read at the end;
  // on one GPU, after the warm-up, the same work as a CUDA graph.
  const auto device_step = [&](const StepInputs& in) {
    StepOutputs out;
    at::Tensor loss;
    {
      AutocastScope scope(device, autocast);
      loss = model->training_loss(in.images.front(), in.noise.front(), len_keep);
    }
    loss.backward();
    out.loss = loss.detach().to(at::kFloat);
    out.found_inf = nonfinite_flag(loss, params);
    optimizer->step(out.found_inf);
    optimizer->zero_grad();
    return out;
  };
  const auto next_inputs = [&] {
    return StepInputs{
        {images}, {at::rand({options.batch, config.num_patches()}, gen).to(at::Device(device))}};
  };
  std::unique_ptr<CapturedStep> graph;
  const auto train_step = [&] {
    const auto in = next_inputs();
    const auto out = graph ? graph->replay(in) : device_step(in);
    at::stack({out.loss, out.found_inf}).to(at::kCPU);
    synchronize(device);
  };
  std::vector<double> train_ms;
  model->train();
  for (int64_t i = 0; i < options.warmup_steps + options.steps; ++i) {
    if (i == options.warmup_steps && device != "cpu" && options.cuda_graphs) {
      std::string failure;
      graph = try_capture(device_step, next_inputs(), *optimizer, &failure);
      r.graph_note = graph ? "captured as a CUDA graph after " + std::to_string(i) + " eager steps"
                           : "eager: CUDA graph capture failed (" + failure + ")";
    }
    const auto start = clock::now();
    train_step();
    if (i >= options.warmup_steps)
      train_ms.push_back(std::chrono::duration<double, std::milli>(clock::now() - start).count());
  }
  if (options.profile)
    r.profile = profile_one_step(train_step, device != "cpu", options.profile_trace);
  std::vector<double> infer_ms;
  model->eval();
  {
    torch::NoGradGuard no_grad;
    for (int64_t i = 0; i < options.warmup_steps + options.steps; ++i) {
      const auto start = clock::now();
      auto noise = at::rand({options.batch, config.num_patches()}, gen);
      AutocastScope scope(device, autocast);
      model->forward(images, noise, len_keep);
      synchronize(device);
      if (i >= options.warmup_steps)
        infer_ms.push_back(std::chrono::duration<double, std::milli>(clock::now() - start).count());
    }
  }
  std::vector<double> slider_ms;
  auto image = at::rand({config.in_chans, config.img_h, config.img_w});
  for (int64_t i = 0; i < options.warmup_steps + options.steps; ++i) {
    MaskRequest request;
    request.ratio = 0.5 + 0.4 * static_cast<double>(i) /
                              static_cast<double>(options.warmup_steps + options.steps);
    const auto start = clock::now();
    reconstruct(model, image, request);
    if (i >= options.warmup_steps)
      slider_ms.push_back(std::chrono::duration<double, std::milli>(clock::now() - start).count());
  }
  r.slider_ms = median(slider_ms);
  r.train_step_ms = median(train_ms);
  r.train_step_fastest_ms = *std::min_element(train_ms.begin(), train_ms.end());
  r.train_images_per_sec = static_cast<double>(options.batch) / (r.train_step_ms / 1000.0);
  r.infer_batch_ms = median(infer_ms);
  r.infer_images_per_sec = static_cast<double>(options.batch) / (r.infer_batch_ms / 1000.0);
  r.peak_memory_bytes = peak_memory(device);
  r.memory_before_bytes = memory_before;
  r.estimated_memory_bytes = estimate_training_memory(config, tc).at_batch(options.batch);
  return r;
}

}  // namespace mae
