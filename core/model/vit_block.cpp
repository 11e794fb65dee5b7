// Why: attention goes through scaled_dot_product_attention so each
// device picks its fastest kernel, except for the short float sequences of the CPU, which
// cpu_attention computes faster; GELU is the exact (erf) form, no dropout, no drop-path.
#include "model/vit_block.h"

#include <ATen/ATen.h>

#include "model/cpu_attention.h"
#include "model/gather_rows.h"
#include "model/gpu_attention_kernels.h"
#include "model/linear_gelu.h"
#include "model/qkv_split.h"
#include "model/residual_norm.h"

namespace mae {

AttentionImpl::AttentionImpl(int64_t dim, int64_t heads) : heads_(heads) {
  qkv = register_module("qkv", torch::nn::Linear(torch::nn::LinearOptions(dim, 3 * dim)));
  proj = register_module("proj", torch::nn::Linear(torch::nn::LinearOptions(dim, dim)));
}

at::Tensor AttentionImpl::forward(const at::Tensor& x) { return linear(proj, attend(x)); }

at::Tensor AttentionImpl::attend(const at::Tensor& x) {
  const int64_t b = x.size(0), n = x.size(1), c = x.size(2);
  auto projected = linear(qkv, x);
  if (cpu_attention_applies(projected)) return cpu_attention(projected, heads_);
  // q, k and v as (B, heads, N, head_dim) views of (B, N, 3, heads, head_dim): split on that
  // axis, their gradients are stacked straight into qkv's layout in one pass (qkv_split.h).
  const auto [q, k, v] = split_qkv(projected, heads_);
  if (projected.is_cuda()) prefer_gpu_attention_kernels(q, k, v);
  auto out = at::scaled_dot_product_attention(q, k, v);
  return out.transpose(1, 2).reshape({b, n, c});
}

MlpImpl::MlpImpl(int64_t dim, int64_t hidden) {
  fc1 = register_module("fc1", torch::nn::Linear(dim, hidden));
  fc2 = register_module("fc2", torch::nn::Linear(hidden, dim));
}

at::Tensor MlpImpl::forward(const at::Tensor& x) { return linear(fc2, linear_gelu(fc1, x)); }

BlockImpl::BlockImpl(int64_t dim, int64_t heads, double mlp_ratio, double eps) {
  auto ln = torch::nn::LayerNormOptions({dim}).eps(eps);
  norm1 = register_module("norm1", torch::nn::LayerNorm(ln));
  attn = register_module("attn", Attention(dim, heads));
  norm2 = register_module("norm2", torch::nn::LayerNorm(ln));
  mlp = register_module("mlp", Mlp(dim, static_cast<int64_t>(dim * mlp_ratio)));
}

// The authors' x = x + attn(norm1(x)); x = x + mlp(norm2(x)), with each norm and the sum
// before it taken together (one pass on a GPU under autocast): the first is the previous
// block's last sum (first.sum is x when there is none), and this block's last is left to the
// norm after it.
Residual BlockImpl::forward_residual(const Residual& in) {
  const auto first = sum_and_norm(in.x, in.branch, norm1);
  const auto second = sum_and_norm(first.sum, attn(first.normed), norm2);
  return {second.sum, mlp(second.normed)};
}

at::Tensor BlockImpl::forward(const at::Tensor& x) {
  return forward_residual({x, at::Tensor()}).sum();
}

Residual BlockImpl::forward_rows(const Residual& in, const at::Tensor& rows) {
  const auto first = sum_and_norm(in.x, in.branch, norm1);
  auto attended = linear(attn->proj, gather_rows(attn->attend(first.normed), rows));
  const auto second = sum_and_norm(gather_rows(first.sum, rows), attended, norm2);
  return {second.sum, mlp(second.normed)};
}

}  // namespace mae
