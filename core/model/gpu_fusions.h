// Why: the GPU step's fusions (the LayerNorm kernels, the weights cast together, the bias
// gradient kernel, the qkv gradient stack, GELU's backward with fc1's bias gradient) change
// how a step runs, not what it computes. To measure what each one gives, and to set one aside
// should it misbehave on some GPU, MAE_UNFUSED names those to leave out: "norm", "casts",
// "bias", "qkv", "gelu", comma-separated, or "all". Read at each call, so one
// process (a test) can compare. The bias kernel takes the bf16 weights that "casts" makes, and
// "gelu" is the bias kernel's pass, so leaving out one leaves out those built on it.
#pragma once

#include <string>

namespace mae {

enum class GpuFusion { norm, casts, bias, qkv, gelu };

// Whether a step may take `fusion`: MAE_UNFUSED names neither it nor one it builds on. A value
// that names something else counts as unset (tuning_variables.h).
bool gpu_fusion_on(GpuFusion fusion);
// "" when every comma-separated name of `unfused` is a fusion or "all" (or it is empty), else
// a line naming the value.
std::string unfused_value_problem(const std::string& unfused);

// The fusions on and those left out, in one line: "norm casts bias qkv gelu", or
// "norm qkv, left out: casts bias gelu".
std::string describe_gpu_fusions();

// Whether our kernels run on CUDA device `index`: they are built (for sm_80 and sm_90, with
// PTX for later GPUs) and the device has compute capability 8.0 or more (bf16 arithmetic). On
// a T4 (7.5), say, torch's ops run instead.
bool our_cuda_kernels_run_on(int index);

// For logs and benchmarks on CUDA device `index` (-1: the current one): which fusions a bf16
// training step takes, and which attention kernels torch may choose (gpu_attention_kernels.h), in
// one line.
std::string describe_gpu_kernels(int index);

// Throws "the <kernel> kernel failed: <error>" when a launch of ours reported `error`
// (non-empty).
void check_kernel_launch(const char* kernel, const char* error);

}  // namespace mae
