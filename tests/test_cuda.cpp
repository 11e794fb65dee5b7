// Why: what only a GPU can show. The CUDA forward agrees with the CPU's (within bf16 rounding
// under autocast), the fused LayerNorm kernels give torch's sums, norms and gradients (and a
// model's step with them torch's LayerNorm's, within bf16), a step with its weights cast
// together takes autocast's step, the bias gradient kernel sums as torch does, the fused
// AdamW kernel on CUDA
// takes the CPU kernel's step, skips included, a training step queues its work without waiting for
// the device (c10's sync-debug mode set to error), uint8 batches normalized on the GPU match the
// CPU's, and so do crops resized there from the loader's packed regions, the app's snapshot
// reconstructions queue without reading back, an attention kernel put first leaves float32 to
// another, a step's loss comes back while the next step runs, a
// step replayed as a CUDA graph takes the eager step's path, and a thread's own stream keeps its
// work apart and in order. Without a GPU the program exits 77, which CTest reports as
// skipped; scripts/gpu_check.sh runs it on a borrowed machine.
#define DOCTEST_CONFIG_IMPLEMENT
#include <ATen/CPUGeneratorImpl.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAStream.h>
#include <doctest/doctest.h>
#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <numeric>
#include <optional>
#include <random>

#include "data/augment.h"
#include "infer/reconstruct.h"
#include "model/gpu_attention_kernels.h"
#include "model/gpu_fusions.h"
#include "model/linear.h"
#include "model/linear_gelu.h"
#include "model/masking.h"
#include "model/presets.h"
#include "model/qkv_split.h"
#include "model/residual_norm.h"
#include "model/weight_casts.h"
#include "relative_gap.h"
#include "small_configs.h"
#include "synthetic_dataset.h"
#include "train/device.h"
#include "train/device_readback.h"
#include "train/device_upload.h"
#include "train/optimizer.h"
#include "train/trainer.h"
#include "train_steps.h"

using namespace mae;

// First in this file, so first to run (doctest orders by file and line): the batch check asks
// for these before anything is on the GPU, when torch's allocator has no statistics yet; each
// `mae bench` and `mae train` on CUDA failed with "Invalid device argument" that way.
TEST_CASE("memory figures answer before the process's first CUDA tensor") {
  reset_peak_memory("cuda");
  CHECK(memory_available("cuda") > 0);
  CHECK(memory_in_use("cuda") == 0);
  CHECK(peak_memory("cuda") == 0);
}

namespace {

// The model's forward on the CPU in fp32 and on CUDA, from the same weights and noise.
struct Forwards {
  MaeOutput cpu, cuda;
  at::Tensor cuda_training_loss;  // the trainer's loss-only forward, on CUDA
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
  f.cuda_training_loss = on_cuda->training_loss(images.cuda(), noise.cuda(), keep);
  return f;
}

// Runs `work` with c10's sync-debug mode set to error: the first line of the error a host
// synchronisation raised, or empty when nothing waited for the device.
std::string first_sync_error(const std::function<void()>& work) {
  auto& debug = c10::cuda::warning_state();
  debug.set_sync_debug_mode(c10::cuda::SyncDebugMode::L_ERROR);
  std::string failure;
  try {
    work();
  } catch (const std::exception& e) {
    failure = e.what();
  }
  debug.set_sync_debug_mode(c10::cuda::SyncDebugMode::L_DISABLED);
  return failure.substr(0, failure.find('\n'));
}

}  // namespace

TEST_CASE("CPU and CUDA forwards agree: fp32 closely, bf16 autocast within its rounding") {
  for (const bool bf16 : {false, true}) {
    const auto f = both_forwards(bf16);
    CHECK(at::equal(f.cpu.mask, f.cuda.mask.cpu()));
    CHECK(at::equal(f.cpu.ids_restore, f.cuda.ids_restore.cpu()));
    const double loss_gap = relative_gap(f.cuda.loss, f.cpu.loss);
    const double training_gap = relative_gap(f.cuda_training_loss, f.cpu.loss);
    const double pred_gap = relative_gap(f.cuda.pred, f.cpu.pred);
    MESSAGE((bf16 ? "bf16" : "fp32")
            << ": loss gap " << loss_gap << ", training_loss gap " << training_gap << ", pred gap "
            << pred_gap << " (relative to the largest value)");
    CHECK(loss_gap < (bf16 ? 2e-2 : 1e-3));
    CHECK(training_gap < (bf16 ? 2e-2 : 1e-3));
    CHECK(pred_gap < (bf16 ? 5e-2 : 1e-3));
  }
}

namespace {
// The fused sum-and-norm's outputs and input gradients for one set of inputs, on `device`.
struct NormRun {
  at::Tensor sum, normed, grad_x, grad_branch, grad_gamma, grad_beta;
};

NormRun fused_norm_on(const at::Device& device, const std::vector<at::Tensor>& values,
                      bool with_branch) {
  // values: x, branch, gamma, beta, gradient of the sum, gradient of the normed rows (CPU).
  // Copies even on the CPU: a leaf made from values[i] itself would make the CUDA run's
  // inputs non-leaves, whose gradients are never kept.
  const auto leaf = [&](const at::Tensor& t) {
    return t.to(device, /*non_blocking=*/false, /*copy=*/true).requires_grad_(true);
  };
  auto x = leaf(values[0]);
  auto branch = with_branch ? leaf(values[1]) : at::Tensor();
  auto gamma = leaf(values[2]);
  auto beta = leaf(values[3]);
  const auto out = fused_sum_and_norm(x, branch, gamma, beta, 1e-6, at::kBFloat16);
  torch::autograd::backward({out.sum, out.normed}, {values[4].to(device), values[5].to(device)});
  return {out.sum.detach().cpu(), out.normed.detach().cpu(),
          x.grad().cpu(),         with_branch ? branch.grad().cpu() : at::Tensor(),
          gamma.grad().cpu(),     beta.grad().cpu()};
}
}  // namespace

TEST_CASE("the fused LayerNorm kernels give torch's sums, norms and gradients") {
  struct Shape {
    int64_t rows, cols;
    bool branch;
  };
  // ViT-B/16's encoder and decoder rows, ViT-H/14's width, widths off the 32-lane grid, a
  // row count off the 8-row blocks, one row.
  const Shape shapes[] = {{128 * 50, 768, true}, {16 * 197, 512, false}, {37, 100, false},
                          {13, 1280, true},      {9, 24, true},          {1, 1024, false}};
  auto gen = at::make_generator<at::CPUGeneratorImpl>(21);
  for (const auto& s : shapes) {
    CAPTURE(s.rows);
    CAPTURE(s.cols);
    const std::vector<at::Tensor> values = {at::randn({s.rows, s.cols}, gen) * 3 + 1,
                                            at::randn({s.rows, s.cols}, gen).to(at::kBFloat16),
                                            1 + 0.1 * at::randn({s.cols}, gen),
                                            0.1 * at::randn({s.cols}, gen),
                                            at::randn({s.rows, s.cols}, gen),
                                            at::randn({s.rows, s.cols}, gen).to(at::kBFloat16)};
    const auto cpu = fused_norm_on(at::kCPU, values, s.branch);
    const auto gpu = fused_norm_on(at::kCUDA, values, s.branch);
    CHECK(at::equal(gpu.sum, cpu.sum));  // the same float32 additions
    const double normed = relative_gap(gpu.normed, cpu.normed);
    const double grad_x = relative_gap(gpu.grad_x, cpu.grad_x);
    const double gamma = relative_gap(gpu.grad_gamma, cpu.grad_gamma);
    const double beta = relative_gap(gpu.grad_beta, cpu.grad_beta);
    MESSAGE("rows " << s.rows << " x " << s.cols << ": normed " << normed << ", x's gradient "
                    << grad_x << ", gamma's " << gamma << ", beta's " << beta);
    CHECK(normed < 1e-2);  // a bf16 rounding apart at most
    CHECK(grad_x < 1e-4);
    CHECK(gamma < 1e-4);
    CHECK(beta < 1e-4);
    if (s.branch) CHECK(relative_gap(gpu.grad_branch, cpu.grad_branch) < 1e-2);
  }
}

namespace {
// One bf16 training step of rgb-small on CUDA with the GPU fusions that MAE_UNFUSED names
// (gpu_fusions.h) left out: its loss and every parameter's gradient.
std::pair<double, std::vector<at::Tensor>> cuda_bf16_step(const char* unfused) {
  const auto config = find_preset("rgb-small").model;
  auto model = make_model(config, 4);
  model->to(at::kCUDA);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(6);
  const auto images = at::randn({16, config.in_chans, config.img_h, config.img_w}, gen).cuda();
  const auto noise = at::rand({16, config.num_patches()}, gen).cuda();
  setenv("MAE_UNFUSED", unfused, 1);
  at::Tensor loss;
  {
    AutocastScope autocast("cuda", true);
    const auto probe = at::zeros({2, 3, config.embed_dim}, images.options());
    CHECK(fused_norm_applies(probe, at::Tensor()) == gpu_fusion_on(GpuFusion::norm));
    CHECK(weight_casts_apply(at::kCUDA) == gpu_fusion_on(GpuFusion::casts));
    CHECK(qkv_stack_kernel_applies(probe.to(at::kBFloat16).requires_grad_(true)) ==
          gpu_fusion_on(GpuFusion::qkv));
    loss = model->training_loss(images, noise, keep_count(config.num_patches(), 0.75));
  }
  loss.backward();
  unsetenv("MAE_UNFUSED");
  std::vector<at::Tensor> grads;
  for (const auto& p : model->parameters()) grads.push_back(p.grad().clone());
  return {loss.item<double>(), grads};
}

double largest_gradient_gap(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, relative_gap(a[i], b[i]));
  return worst;
}

// A step with every fusion against one without those `unfused` names: losses within
// `loss_tolerance` of each other (relative), each gradient within `gradient_tolerance`.
void compare_steps(const char* unfused, double loss_tolerance, double gradient_tolerance) {
  const auto fused = cuda_bf16_step("");
  const auto without = cuda_bf16_step(unfused);
  const double gap = largest_gradient_gap(fused.second, without.second);
  MESSAGE("without " << std::string(unfused) << ": loss " << without.first << " against "
                     << fused.first
                     << "; largest gradient gap (relative to each parameter's largest) " << gap);
  CHECK(std::abs(fused.first - without.first) <= loss_tolerance * std::abs(without.first));
  CHECK(gap < gradient_tolerance);
}
}  // namespace

TEST_CASE("a training step with the fused LayerNorm matches torch's LayerNorm within bf16") {
  compare_steps("norm", 2e-3, 5e-2);
}

TEST_CASE("a training step with the weights cast together takes autocast's casts' step") {
  // The same values by construction (the CPU test checks bits); here only the attention's
  // backward, which cuDNN runs in no fixed order, may tell the two apart.
  compare_steps("casts", 1e-5, 1e-2);
}

TEST_CASE("the bias gradient kernel sums as torch does, and a step with it matches") {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(31);
  // ViT-B/16's decoder fc1 and encoder qkv rows at batch 128, a width of one 8-column group,
  // rows off the 8-row grid.
  const std::pair<int64_t, int64_t> shapes[] = {{25216, 2048}, {6400, 2304}, {17, 8}, {3, 520}};
  for (const auto& [rows, cols] : shapes) {
    CAPTURE(rows);
    CAPTURE(cols);
    auto x = at::randn({rows, 16}, gen).to(at::kBFloat16).cuda().requires_grad_(true);
    auto weight = at::randn({cols, 16}, gen).to(at::kBFloat16).cuda().requires_grad_(true);
    auto bias = at::zeros({cols}, at::kBFloat16).cuda().requires_grad_(true);
    REQUIRE(bias_grad_kernel_applies(x, weight, bias));
    const auto grad = at::randn({rows, cols}, gen).to(at::kBFloat16);
    linear_with_bias_grad_kernel(x, weight, bias).backward(grad.cuda());
    const auto exact = grad.to(at::kDouble).sum(0);
    const double ours = relative_gap(bias.grad(), exact);
    const double torch_own = relative_gap(grad.cuda().sum(0), exact);
    MESSAGE(rows << " x " << cols << ": ours " << ours << ", torch's sum " << torch_own);
    CHECK(ours < 1e-2);  // one bf16 rounding of a float32 sum
  }
  compare_steps("bias", 1e-5, 2e-2);
}

TEST_CASE("the qkv gradient kernel stacks cuDNN's q, k and v gradients as torch's stack") {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(41);
  struct Shape {
    int64_t batch, tokens, heads, head_dim;
  };
  // ViT-B/16's encoder and decoder attention.
  for (const auto& s : {Shape{16, 50, 12, 64}, Shape{16, 197, 16, 32}}) {
    CAPTURE(s.tokens);
    const int64_t width = 3 * s.heads * s.head_dim;
    auto projected =
        at::randn({s.batch, s.tokens, width}, gen).to(at::kBFloat16).cuda().requires_grad_(true);
    REQUIRE(qkv_stack_kernel_applies(projected));
    const auto views = split_qkv_with_own_backward(projected, s.heads);
    const auto out = at::scaled_dot_product_attention(views.q, views.k, views.v);
    const auto grad_out = at::randn(out.sizes(), gen).to(at::kBFloat16).cuda();
    // One backward: the gradients the split received, and what it made of them.
    const auto g = torch::autograd::grad({out}, {views.q, views.k, views.v, projected}, {grad_out});
    MESSAGE("tokens " << s.tokens << ": q's gradient strides " << g[0].strides());
    const auto stacked =
        at::stack({g[0].transpose(1, 2), g[1].transpose(1, 2), g[2].transpose(1, 2)}, 2)
            .reshape({s.batch, s.tokens, width});
    CHECK(at::equal(g[3], stacked));
  }
  compare_steps("qkv", 1e-5, 1e-2);
}

TEST_CASE("GELU's backward fused with fc1's bias gradient matches autograd's") {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(43);
  // ViT-B/16's decoder and encoder fc1 at batch 16, a width of one 8-column group.
  const std::array<int64_t, 3> shapes[] = {{16 * 197, 512, 2048}, {16 * 50, 768, 3072}, {9, 16, 8}};
  for (const auto& [rows, in, hidden] : shapes) {
    CAPTURE(rows);
    CAPTURE(hidden);
    const auto make = [&](std::initializer_list<int64_t> size, double scale) {
      return (scale * at::randn(size, gen)).to(at::kBFloat16).cuda().requires_grad_(true);
    };
    const auto x = make({rows, in}, 1), weight = make({hidden, in}, 0.05),
               bias = make({hidden}, 0.5);
    REQUIRE(linear_gelu_fusion_applies(x, weight, bias));
    const auto grad = at::randn({rows, hidden}, gen).to(at::kBFloat16).cuda();
    const auto ours = torch::autograd::grad({linear_gelu_with_fused_backward(x, weight, bias)},
                                            {x, weight, bias}, {grad});
    const auto theirs =
        torch::autograd::grad({at::gelu(at::linear(x, weight, bias))}, {x, weight, bias}, {grad});
    const double gap_x = relative_gap(ours[0], theirs[0]), gap_w = relative_gap(ours[1], theirs[1]),
                 gap_b = relative_gap(ours[2], theirs[2]);
    MESSAGE(rows << " x " << hidden << ": x's gradient " << gap_x << ", the weight's " << gap_w
                 << ", the bias's " << gap_b);
    CHECK(gap_x < 1e-2);
    CHECK(gap_w < 1e-2);
    CHECK(gap_b < 1e-2);  // the sums of the same bf16 values, in another order
  }
  compare_steps("gelu", 1e-5, 2e-2);
}

TEST_CASE("the bench names the fusions a step takes and the attention kernels it prefers") {
  CHECK(describe_gpu_kernels(-1) ==
        "GPU fusions: norm casts bias qkv gelu; attention kernels: torch's choice");
  setenv("MAE_UNFUSED", "casts", 1);  // the bias and GELU passes take the casts' bf16 weights
  setenv("MAE_ATTENTION", "flash,cudnn", 1);
  CHECK(describe_gpu_kernels(-1) ==
        "GPU fusions: norm qkv, left out: casts bias gelu; attention "
        "kernels: flash,cudnn first (MAE_ATTENTION)");
  unsetenv("MAE_UNFUSED");
  unsetenv("MAE_ATTENTION");
}

TEST_CASE("an attention kernel put first takes what it can, and float32 goes to another") {
  // gpu_check's MAE_ATTENTION=flash (or cudnn) once limited torch to that kernel, and every
  // float32 attention (the bench's slider, the explorer) then failed with no kernel to run it.
  const auto q = at::randn({4, 8, 197, 32}, at::TensorOptions().device(at::kCUDA));
  const auto half = q.to(at::kBFloat16);
  (void)at::scaled_dot_product_attention(half, half, half);  // torch sets its order first
  std::vector<int64_t> torch_order;
  for (const auto backend : at::globalContext().sDPPriorityOrder())
    torch_order.push_back(static_cast<int64_t>(backend));
  const auto reference =
      at::softmax(at::matmul(q, q.transpose(-2, -1)) / std::sqrt(32.0), -1).matmul(q);
  const std::pair<const char*, at::SDPBackend> firsts[] = {
      {"flash", at::SDPBackend::flash_attention},
      {"efficient", at::SDPBackend::efficient_attention},
      {"cudnn", at::SDPBackend::cudnn_attention}};
  for (const auto& [kernel, backend] : firsts) {
    INFO(kernel << " first");
    put_attention_kernels_first(kernel);
    CHECK(relative_gap(at::scaled_dot_product_attention(q, q, q), reference) < 1e-4);
    // cuDNN may turn down a shape on some GPU and leave it to the next; flash and the
    // efficient kernel take bf16 heads of 32 on any GPU this project runs its kernels on.
    if (backend != at::SDPBackend::cudnn_attention)
      CHECK(at::_fused_sdp_choice(half, half, half) == static_cast<int64_t>(backend));
    at::globalContext().setSDPPriorityOrder(torch_order);
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
    // As the trainer takes it: the loader's uint8 pixels in pinned memory and the noise go up
    // on the side stream, and the pixels are normalized on the GPU.
    auto pixels = at::randint(0, 256, {16, config.in_chans, config.img_h, config.img_w}, at::kByte)
                      .pin_memory();
    auto noise = at::rand({16, config.num_patches()});
    const auto up = upload_behind_current_stream({pixels, noise}, "cuda");
    at::Tensor loss;
    {
      AutocastScope autocast("cuda", true);
      loss = model->training_loss(normalize_pixels(up[0], config.mean, config.std), up[1], keep);
    }
    loss.backward();
    optimizer->step(nonfinite_flag(loss, params));
    optimizer->zero_grad();
  };
  step();  // first use: allocations, kernels loaded
  const auto failure = first_sync_error([&] { step(); });
  CHECK_MESSAGE(failure.empty(), failure);
}

TEST_CASE("uint8 pixels uploaded on the side stream and normalized on the GPU match the CPU's") {
  const auto pixels = at::randint(0, 256, {8, 3, 32, 32}, at::kByte);
  const std::vector<double> mean{0.485, 0.456, 0.406}, std{0.229, 0.224, 0.225};
  const auto expected = normalize_pixels(pixels, mean, std);
  const auto up = upload_behind_current_stream({pixels}, "cuda");
  REQUIRE(up.size() == 1);
  CHECK(up[0].is_cuda());
  CHECK((up[0].scalar_type() == at::kByte));
  const auto on_gpu = normalize_pixels(up[0], mean, std).cpu();
  // Division by a scalar is a multiplication by its reciprocal in CUDA's kernel: an ulp apart.
  CHECK(at::allclose(on_gpu, expected, /*rtol=*/1e-6, /*atol=*/1e-6));
}

TEST_CASE("crops packed in pinned memory and resized on the GPU match the CPU's, unsynced") {
  std::vector<DecodedImage> images;
  for (int64_t i = 0; i < 16; ++i) {
    DecodedImage image;
    image.pixels = at::randint(0, 256, {200 + 9 * i, 300 - 5 * i, 3}, at::kByte);
    image.source_h = image.pixels.size(0) * (i % 2 + 1);  // half of them shrunk by the cache
    image.source_w = image.pixels.size(1) * (i % 2 + 1);
    images.push_back(image);
  }
  AugmentConfig augment;
  std::mt19937_64 rng(4);
  std::vector<CropBox> boxes;
  for (const auto& image : images)
    boxes.push_back(sample_crop(image.source_h, image.source_w, augment, rng));
  const auto packed = pack_crops(images, boxes, /*pinned=*/true);
  CHECK(packed.pixels.is_pinned());
  const auto on_cpu = resize_packed_crops(packed.pixels, 3, packed.regions, 224, 224);
  const std::vector<double> mean{0.485, 0.456, 0.406}, std{0.229, 0.224, 0.225};
  at::Tensor resized, normalized;
  auto trainer_side = [&] {
    const auto up = upload_behind_current_stream({packed.pixels}, "cuda");
    resized = resize_packed_crops(up[0], 3, packed.regions, 224, 224);
    normalized = normalize_pixels(resized, mean, std);
  };
  trainer_side();  // first use: kernels loaded
  const auto failure = first_sync_error(trainer_side);
  CHECK_MESSAGE(failure.empty(), failure);
  // Both in float: a value a rounding step apart at most, and rarely.
  const auto gap = (resized.cpu() - on_cpu).abs();
  MESSAGE("GPU against CPU resize: max " << gap.max().item<float>() << ", mean "
                                         << gap.mean().item<float>() << " levels");
  CHECK(gap.max().item<float>() <= 1.0f);
  CHECK(gap.mean().item<float>() < 0.01f);
  CHECK(at::allclose(normalized.cpu(), normalize_pixels(resized.cpu(), mean, std), 1e-6, 1e-6));
}

TEST_CASE("a reconstruction queued on the GPU reads nothing back until asked, and agrees") {
  auto config = find_preset("rgb-small").model;
  config.norm_pix_loss = true;  // the nearest-visible statistics run on the device too
  auto model = make_model(config, 1);
  model->to(at::kCUDA);
  model->eval();
  const auto image = at::rand({3, 80, 72});
  MaskRequest request;
  request.seed = 3;
  reconstruct_queued(model, image, request);  // first use: kernels loaded
  std::optional<DeviceReadback> back;
  const auto failure = first_sync_error([&] {
    const auto r = reconstruct_queued(model, image, request);
    back.emplace(std::vector<at::Tensor>{r.reconstruction, r.pasted, r.mask});
  });
  REQUIRE_MESSAGE(failure.empty(), failure);
  const auto& host = back->wait();
  const auto reference = reconstruct(model, image, request);
  CHECK(torch::equal(host[0], reference.reconstruction));
  CHECK(torch::equal(host[1], reference.pasted));
  CHECK(torch::equal(host[2], reference.mask));
}

TEST_CASE("a step replayed as a CUDA graph follows the eager step's path") {
  auto dataset = std::make_shared<SyntheticDataset>(64, 1, 16);
  const auto run = [&](bool graphs, std::string* note) {
    auto train = small_test_run(10, 11);
    train.device = "cuda";
    train.bf16 = false;  // fp32: the two paths must agree to rounding, not to bf16's
    train.cuda_graphs = graphs;
    train.loader_workers = 1;
    Trainer trainer(small_test_model(), train, dataset);
    std::vector<double> losses;
    int64_t graphed = 0;
    for (const auto& m : train_steps(trainer)) {
      losses.push_back(m.loss);
      graphed += m.graphed ? 1 : 0;
    }
    *note = trainer.graph_note();
    std::vector<at::Tensor> weights;
    for (const auto& p : trainer.model()->parameters()) weights.push_back(p.detach().cpu());
    return std::make_tuple(losses, weights, graphed);
  };
  std::string graphed_note, eager_note;
  const auto [graph_losses, graph_weights, graphed_steps] = run(true, &graphed_note);
  const auto [eager_losses, eager_weights, eager_graphed] = run(false, &eager_note);
  INFO(graphed_note);
  CHECK(graphed_note.rfind("the step runs as a CUDA graph from step 4", 0) == 0);
  CHECK(graphed_steps == 7);
  CHECK(eager_note.empty());
  CHECK(eager_graphed == 0);
  REQUIRE(graph_losses.size() == eager_losses.size());
  for (size_t i = 0; i < graph_losses.size(); ++i)
    CHECK(graph_losses[i] == doctest::Approx(eager_losses[i]).epsilon(1e-5));
  for (size_t i = 0; i < graph_weights.size(); ++i)
    CHECK(relative_gap(graph_weights[i], eager_weights[i]) < 1e-4);
}

TEST_CASE("on the GPU a loader far behind the step shows as data wait") {
  // 8 pictures of 30 ms on one loader thread for a step of a few ms: the device is idle for
  // most of each step, however much of the wait overlaps the step before. The first step,
  // which also sets CUDA up, and the last, which loads nothing more, are left out; eager
  // steps, so that no capture's time is in one of them.
  auto train = small_test_run(6, 3);
  train.device = "cuda";
  train.loader_workers = 1;
  train.cuda_graphs = false;
  Trainer trainer(small_test_model(), train, std::make_shared<SlowSyntheticDataset>(64, 1, 16));
  const auto steps = train_steps(trainer);
  REQUIRE(steps.size() == 6);
  for (const auto& m : steps) {
    INFO("step " << m.step << ": waited " << m.data_wait_ms << " of " << m.step_ms << " ms");
    CHECK(m.data_wait_ms <= m.step_ms);
    if (m.step > 1 && m.step < 6) CHECK(m.data_wait_ms > 0.5 * m.step_ms);
  }
}

TEST_CASE("on the GPU a step's loss comes back while the next runs, and whole steps never sync") {
  auto dataset = std::make_shared<SyntheticDataset>(64, 1, 16);
  auto train = small_test_run(12, 3);
  train.device = "cuda";
  train.loader_workers = 1;
  Trainer trainer(small_test_model(), train, dataset);
  std::vector<int64_t> seen;
  const auto take = [&](const std::vector<StepMetrics>& metrics) {
    for (const auto& m : metrics) seen.push_back(m.step);
  };
  for (int i = 0; i < 5; ++i) take(trainer.step());  // eager, then captured at step 4
  // Every call has handed back all but at most the step it queued.
  CHECK(seen.size() >= 4);
  const auto failure = first_sync_error([&] {
    for (int i = 0; i < 4; ++i) take(trainer.step());  // replays; the wait is on an event
  });
  CHECK_MESSAGE(failure.empty(), failure);
  CHECK(seen.size() >= 8);
  while (!trainer.done()) take(trainer.step());
  take(trainer.drain());
  std::vector<int64_t> expected(12);
  std::iota(expected.begin(), expected.end(), 1);
  CHECK(seen == expected);
  MESSAGE(trainer.graph_note());
}

TEST_CASE("a run on the GPU saved midway and resumed takes the same steps as one that went on") {
  auto dataset = std::make_shared<SyntheticDataset>(64, 1, 16);
  auto train = small_test_run(12, 5);
  train.device = "cuda";
  train.bf16 = false;
  train.loader_workers = 1;
  const auto saved = std::filesystem::temp_directory_path() / "mae-cuda-resume.safetensors";
  std::vector<double> straight, resumed;
  {
    Trainer trainer(small_test_model(), train, dataset);
    straight = train_losses(trainer);
  }
  {
    Trainer trainer(small_test_model(), train, dataset);
    resumed = train_losses(trainer, 6);
    trainer.save(saved.string());
  }
  auto trainer = Trainer::resume(saved.string(), dataset);
  for (double loss : train_losses(*trainer)) resumed.push_back(loss);
  std::filesystem::remove(saved);
  REQUIRE(resumed.size() == straight.size());
  for (size_t i = 0; i < straight.size(); ++i)
    CHECK(resumed[i] == doctest::Approx(straight[i]).epsilon(1e-5));
}

TEST_CASE("a thread's own stream: its work is apart from the default stream, and in order") {
  const auto before = c10::cuda::getCurrentCUDAStream();
  auto x = at::zeros({1 << 20}, at::kCUDA);
  x.fill_(1.0);  // queued on the default stream
  {
    DeviceStreamScope scope("cuda", /*urgent=*/true);
    const auto inside = c10::cuda::getCurrentCUDAStream();
    CHECK(inside != before);
    x.mul_(3.0);  // sees the fill, which was queued before the scope
  }
  CHECK(c10::cuda::getCurrentCUDAStream() == before);
  x.add_(1.0);  // after the scope's work
  CHECK(x.sum().item<double>() == doctest::Approx(4.0 * (1 << 20)));
}

int main(int argc, char** argv) {
  if (!cuda_available()) {
    std::puts("no CUDA device: the CUDA checks are skipped");
    return 77;
  }
  doctest::Context context(argc, argv);
  return context.run();
}
