// Why: teaching what the encoder does starts with where it looks. This recomputes the
// encoder block by block with the attention probabilities written out (the model itself
// uses fused scaled_dot_product_attention, which never forms them), for one image and mask.
#pragma once

#include <ATen/core/Tensor.h>

#include "infer/reconstruct.h"

namespace mae {

struct EncoderAttention {
  at::Tensor weights;   // (depth, heads, T, T) float on the CPU, T = 1 + visible patches
  at::Tensor ids_keep;  // (T - 1) int64: the patch index of each visible token, in order
  at::Tensor mask;      // (grid_h, grid_w) float, 1 = removed
  at::Tensor latent;    // (1, T, D): the encoder output, equal to forward_encoder's
  int64_t grid_h = 0, grid_w = 0;
};

// `image` (C, H, W), bytes or floats in [0, 1], of any size: fitted as reconstruct() fits it.
EncoderAttention encoder_attention(MaeModel& model, const at::Tensor& image,
                                   const MaskRequest& request);

// Attention paid by `query_token` (0 = cls, t >= 1 = the t-th visible token) in `layer` to
// every visible patch, as a (grid_h, grid_w) map (removed patches 0); head -1 averages the
// heads. The cls token's own share is left out, so the map shows attention among patches.
at::Tensor attention_map(const EncoderAttention& a, int64_t layer, int64_t head,
                         int64_t query_token);

// `image` (C, H, W) in [0,1] at the model's input size with `map` (grid_h, grid_w) drawn
// over it: each visible patch blends its grey pixels with the heat colour of its share of
// the map's largest value; removed patches are dark blue-grey (the encoder never saw them).
at::Tensor attention_picture(const at::Tensor& image, const at::Tensor& map,
                             const at::Tensor& mask);

// The visible token sitting on patch (row, col), or -1 when that patch was removed.
int64_t token_of_patch(const EncoderAttention& a, int64_t row, int64_t col);

}  // namespace mae
