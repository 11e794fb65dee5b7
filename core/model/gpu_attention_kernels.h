// Why: on a GPU, scaled_dot_product_attention takes the first kernel in torch's order that
// accepts the inputs (cuDNN's on the H200), not the fastest for MAE's short sequences: 50 and
// 197 tokens, heads 64 and 32 wide, where the last profile found attention at 4.2 ms of a
// 36 ms ViT-B/16 step for well under 1 ms of arithmetic. MAE_ATTENTION names kernels to put
// first, comma-separated from "flash", "efficient", "cudnn" and "math", so gpu_check can time
// each. They are preferred, not the only ones allowed: an input a named kernel cannot take
// (float32 for flash and cuDNN: the explorer's reconstructions, --fp32) goes to the next in
// torch's order, where limiting torch to flash would have failed it. Unset or empty, torch's
// order stands.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace at {
class Tensor;
}

namespace mae {

// Applies MAE_ATTENTION once per process, at the first GPU attention (q, k, v are its
// inputs); later calls do nothing. A value that names something other than those four counts
// as unset (tuning_variables.h).
void prefer_gpu_attention_kernels(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v);
// "" when every comma-separated name of `value` is one of the four (or it is empty), else a
// line naming the value.
std::string attention_value_problem(const std::string& value);

// torch's priority order (its at::SDPBackend codes, all of them) with the kernels `kernels`
// names moved to the front, in the order named.
std::vector<int64_t> attention_order_preferring(const std::string& kernels,
                                                const std::vector<int64_t>& order);
// Puts the kernels `kernels` names first in torch's priority order, for the whole process.
void put_attention_kernels_first(const std::string& kernels);

// "torch's choice", or the kernels MAE_ATTENTION puts first, for logs.
std::string gpu_attention_kernel_choice();

}  // namespace mae
