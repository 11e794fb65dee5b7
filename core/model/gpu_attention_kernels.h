// Why: on a GPU, scaled_dot_product_attention takes the first kernel in torch's order that
// accepts the inputs (cuDNN's on the H200), not the fastest for MAE's short sequences: 50 and
// 197 tokens, heads 64 and 32 wide, where the last profile found attention at 4.2 ms of a
// 36 ms ViT-B/16 step for well under 1 ms of arithmetic. MAE_ATTENTION names the kernels it
// may take, comma-separated from "flash", "efficient", "cudnn" and "math", so gpu_check can
// time each; unset or empty, torch chooses among all, as before.
#pragma once

#include <string>

namespace mae {

// Applies MAE_ATTENTION once per process (later calls do nothing). A value that names
// something other than those four counts as unset (tuning_variables.h).
void limit_gpu_attention_kernels();
// "" when every comma-separated name of `value` is one of the four (or it is empty), else a
// line naming the value.
std::string attention_value_problem(const std::string& value);

// "torch's choice", or the kernels MAE_ATTENTION names, for logs.
std::string gpu_attention_kernel_choice();

}  // namespace mae
