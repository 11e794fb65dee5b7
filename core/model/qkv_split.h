// Why: attention reads q, k and v as (B, heads, N, head_dim) views of the qkv product's
// (B, N, 3, heads, head_dim) rows, and backward must stack their gradients back into those
// rows. Autograd's own backward for the split does it with torch's stack; on a GPU under bf16
// autocast it is a kernel of ours instead (cuda_qkv_grads.h), three to five times faster by
// bandwidth. Same values either way: the stack is a copy.
#pragma once

#include <ATen/core/Tensor.h>

namespace mae {

struct QkvViews {
  at::Tensor q, k, v;  // each (B, heads, N, head_dim)
};

// q, k and v of `projected` (B, N, 3 * heads * head_dim). Where qkv_stack_kernel_applies their
// gradients are stacked by the kernel; elsewhere the views are unbind's, as before.
QkvViews split_qkv(const at::Tensor& projected, int64_t heads);

// Whether they are: `projected` is bf16 on a GPU where our kernels run, autograd records it,
// and MAE_UNFUSED does not name "qkv".
bool qkv_stack_kernel_applies(const at::Tensor& projected);

// The split with this file's backward on any device (on the CPU, or where the kernel does not
// fit, the stack is torch's), for the tests to compare with unbind's.
QkvViews split_qkv_with_own_backward(const at::Tensor& projected, int64_t heads);

}  // namespace mae
