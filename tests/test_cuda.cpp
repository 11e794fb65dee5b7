// Why: what only a GPU can show. The CUDA forward agrees with the CPU's (within bf16 rounding
// under autocast), the fused AdamW kernel on CUDA takes the CPU kernel's step, skips
// included, and a training step queues its work without waiting for the device (c10's
// sync-debug mode set to error). Without a GPU the program exits 77, which CTest reports as
// skipped; scripts/gpu_check.sh runs it on a borrowed machine.
#define DOCTEST_CONFIG_IMPLEMENT
#include <ATen/CPUGeneratorImpl.h>
#include <c10/cuda/CUDAFunctions.h>
#include <doctest/doctest.h>
#include <torch/torch.h>

#include <cstdio>

#include "model/masking.h"
#include "model/presets.h"
#include "train/device.h"
#include "train/optimizer.h"

using namespace mae;

namespace {

// The model's forward on the CPU in fp32 and on CUDA, from the same weights and noise.
struct Forwards {
  MaeOutput cpu, cuda;
};

Forwards both_forwards(bool bf16) {
  const auto config = find_preset("rgb-small").model;
  auto on_cpu = make_model(config, 3);
  auto on_cuda = make_model(config, 3);
  on_cuda->to(at::kCUDA);
  on_cpu->eval();
  on_cuda->eval();
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  auto images = at::randn({8, config.in_chans, config.img_h, config.img_w}, gen);
  auto noise = at::rand({8, config.num_patches()}, gen);
  const int64_t keep = keep_count(config.num_patches(), 0.75);
  at::NoGradGuard no_grad;
  Forwards f;
  f.cpu = on_cpu->forward(images, noise, keep);
  AutocastScope autocast("cuda", bf16);
  f.cuda = on_cuda->forward(images.cuda(), noise.cuda(), keep);
  return f;
}

double relative_gap(const at::Tensor& a, const at::Tensor& b) {
  const auto x = a.to(at::kCPU, at::kFloat), y = b.to(at::kCPU, at::kFloat);
  return ((x - y).abs().max() / y.abs().max().clamp_min(1e-12)).item<double>();
}

}  // namespace

TEST_CASE("CPU and CUDA forwards agree: fp32 closely, bf16 autocast within its rounding") {
  for (const bool bf16 : {false, true}) {
    const auto f = both_forwards(bf16);
    CHECK(at::equal(f.cpu.mask, f.cuda.mask.cpu()));
    CHECK(at::equal(f.cpu.ids_restore, f.cuda.ids_restore.cpu()));
    const double loss_gap = relative_gap(f.cuda.loss, f.cpu.loss);
    const double pred_gap = relative_gap(f.cuda.pred, f.cpu.pred);
    MESSAGE((bf16 ? "bf16" : "fp32") << ": loss gap " << loss_gap << ", pred gap " << pred_gap
                                     << " (relative to the largest value)");
    CHECK(loss_gap < (bf16 ? 2e-2 : 1e-3));
    CHECK(pred_gap < (bf16 ? 5e-2 : 1e-3));
  }
}

TEST_CASE("the fused AdamW step on CUDA equals the CPU kernel's, and a flagged step is skipped") {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(9);
  std::vector<at::Tensor> cpu_params = {at::randn({64, 32}, gen), at::randn({32}, gen)};
  std::vector<at::Tensor> cuda_params;
  for (const auto& p : cpu_params) cuda_params.push_back(p.cuda());
  for (auto& p : cpu_params) p.requires_grad_(true);
  for (auto& p : cuda_params) p.requires_grad_(true);
  const auto make = [](const std::vector<at::Tensor>& p) {
    return FusedAdamW({{{p[0]}, 0.05}, {{p[1]}, 0.0}}, 1e-3, 0.9, 0.95, 1e-8);
  };
  auto on_cpu = make(cpu_params), on_cuda = make(cuda_params);
  for (int k = 0; k < 3; ++k) {
    for (size_t i = 0; i < cpu_params.size(); ++i) {
      auto grad = at::randn(cpu_params[i].sizes(), gen);
      cpu_params[i].mutable_grad() = grad;
      cuda_params[i].mutable_grad() = grad.cuda();
    }
    const float skip = k == 1 ? 1.0f : 0.0f;
    on_cpu.set_lr(1e-3 * (k + 1));
    on_cuda.set_lr(1e-3 * (k + 1));
    on_cpu.step(at::full({}, skip));
    on_cuda.step(at::full({}, skip, at::TensorOptions().device(at::kCUDA)));
  }
  for (size_t i = 0; i < cpu_params.size(); ++i) {
    const double gap = (cpu_params[i] - cuda_params[i].cpu()).abs().max().item<double>();
    MESSAGE("parameter " << i << ": CPU and CUDA differ by " << gap);
    CHECK(gap < 1e-6);
    CHECK(on_cuda.state_of(cuda_params[i])->step.item<float>() == 2.0f);
  }
}

TEST_CASE("a training step queues its work without a host synchronisation") {
  const auto config = find_preset("rgb-small").model;
  auto model = make_model(config, 0);
  model->to(at::kCUDA);
  model->train();
  const auto params = trainable_parameters(model);
  TrainConfig train;
  auto optimizer = make_optimizer(params, train);
  const int64_t keep = keep_count(config.num_patches(), 0.75);
  const auto step = [&] {
    // The loader's batch arrives in pinned memory and is copied without waiting.
    auto images = at::rand({16, config.in_chans, config.img_h, config.img_w}).pin_memory();
    auto noise = at::rand({16, config.num_patches()}).pin_memory();
    at::Tensor loss;
    {
      AutocastScope autocast("cuda", true);
      loss = model
                 ->forward(images.to(at::kCUDA, /*non_blocking=*/true),
                           noise.to(at::kCUDA, /*non_blocking=*/true), keep)
                 .loss;
    }
    loss.backward();
    optimizer->step(nonfinite_flag(loss, params));
    optimizer->zero_grad();
  };
  step();  // first use: allocations, kernels loaded
  auto& debug = c10::cuda::warning_state();
  debug.set_sync_debug_mode(c10::cuda::SyncDebugMode::L_ERROR);
  std::string failure;
  try {
    step();
  } catch (const std::exception& e) {
    failure = e.what();
  }
  debug.set_sync_debug_mode(c10::cuda::SyncDebugMode::L_DISABLED);
  CHECK_MESSAGE(failure.empty(), failure.substr(0, failure.find('\n')));
}

int main(int argc, char** argv) {
  if (!cuda_available()) {
    std::puts("no CUDA device: the CUDA checks are skipped");
    return 77;
  }
  doctest::Context context(argc, argv);
  return context.run();
}
