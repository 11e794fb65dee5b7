// Why: the pre-norm transformer block of the MAE encoder and decoder, with submodule names
// that match the authors' state_dict (norm1, attn.qkv, attn.proj, norm2, mlp.fc1, mlp.fc2).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "model/linear.h"

namespace mae {

class AttentionImpl : public torch::nn::Module {
 public:
  AttentionImpl(int64_t dim, int64_t heads);
  at::Tensor forward(const at::Tensor& x);
  // Every row's attention output before `proj`, (B, N, dim).
  at::Tensor attend(const at::Tensor& x);
  int64_t heads() const { return heads_; }

  torch::nn::Linear qkv{nullptr};
  torch::nn::Linear proj{nullptr};

 private:
  int64_t heads_;
};
TORCH_MODULE(Attention);

class MlpImpl : public torch::nn::Module {
 public:
  MlpImpl(int64_t dim, int64_t hidden);
  at::Tensor forward(const at::Tensor& x);

  torch::nn::Linear fc1{nullptr};
  torch::nn::Linear fc2{nullptr};
};
TORCH_MODULE(Mlp);

// A block's output x + branch with the sum not yet taken, so that the norm after it (the next
// block's first, or the final one) takes it in the same pass (residual_norm.h). `branch` is
// undefined where there is nothing to add.
struct Residual {
  at::Tensor x, branch;

  // x + branch, taken here.
  at::Tensor sum() const { return branch.defined() ? x + branch : x; }
};

class BlockImpl : public torch::nn::Module {
 public:
  BlockImpl(int64_t dim, int64_t heads, double mlp_ratio, double eps);
  at::Tensor forward(const at::Tensor& x);
  // forward(in.x + in.branch), its last sum left to the next norm.
  Residual forward_residual(const Residual& in);
  // forward_residual(in) at the token rows `rows` (B, R) only, (B, R, dim). Each row still
  // attends to every row, but proj, the MLP and both residuals act row by row, so they run on
  // R rows.
  Residual forward_rows(const Residual& in, const at::Tensor& rows);

  torch::nn::LayerNorm norm1{nullptr};
  Attention attn{nullptr};
  torch::nn::LayerNorm norm2{nullptr};
  Mlp mlp{nullptr};
};
TORCH_MODULE(Block);

}  // namespace mae
