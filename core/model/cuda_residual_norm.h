// Why: under bf16 autocast on a GPU each pre-norm block spends more time in memory-bound passes
// around its LayerNorms than in their arithmetic: the residual sum is written, read back by the
// norm, whose float32 output is read again to round it to bf16; backward rounds the incoming
// gradient up to float32, runs two kernels for the input and for gamma and beta, adds the
// residual's gradient, and rounds that sum down again for the branch. These kernels do each
// direction in one pass over the rows. Plain CUDA with no torch headers, so nvcc compiles
// them quickly; pointers to bf16 values are passed as void*.
#pragma once

#include <cstdint>

namespace mae {

// The widest row these kernels take (ViT-H/14's 1280 values): 40 per lane of a warp.
constexpr int kResidualNormMaxWidth = 1280;

// sum = x + branch (or x alone when branch is null, and then `sum` is not written),
// normed = bf16(LayerNorm(sum) * gamma + beta), with each row's mean and 1/sqrt(var + eps) kept
// for backward. Rows of `cols` contiguous values, float32 unless said.
struct ResidualNormForward {
  const float* x;
  const void* branch;  // bf16 or null
  const float* gamma;
  const float* beta;
  float* sum;    // written only with a branch
  void* normed;  // bf16
  float* mean;
  float* rstd;
  int64_t rows;
  int cols;
  float eps;
};

// From the gradient of `normed` (bf16) and of `sum` (float32, or null for none): the gradient of
// x (float32) and, where asked, the same rounded to bf16 for the branch; and for gamma and beta,
// one row of partial sums per block in `partials` (2 * blocks rows of `cols`: gamma's, then
// beta's), which residual_norm_column_sums adds up.
struct ResidualNormBackward {
  const void* grad_normed;  // bf16
  const float* grad_sum;    // or null
  const float* sum;         // the forward's sum (x itself without a branch)
  const float* mean;
  const float* rstd;
  const float* gamma;
  float* grad_x;
  void* grad_branch;  // bf16 or null
  float* partials;
  int64_t rows;
  int cols;
};

// Both return an empty string, or the CUDA error that the launch reported. `stream` is a
// cudaStream_t.
const char* launch_residual_norm_forward(const ResidualNormForward& args, void* stream);
// `blocks` from residual_norm_backward_blocks for the same rows and columns.
const char* launch_residual_norm_backward(const ResidualNormBackward& args, int blocks,
                                          void* stream);
// Blocks for the backward of `rows` rows on a device of `multiprocessors`: as many as can be
// resident at once, and no more than there are rows to share.
int residual_norm_backward_blocks(int64_t rows, int cols, int multiprocessors);
// grad_gamma and grad_beta (`cols` each) from the backward's `partials` of `blocks` blocks.
const char* launch_residual_norm_column_sums(const float* partials, int blocks, int cols,
                                             float* grad_gamma, float* grad_beta, void* stream);

}  // namespace mae
