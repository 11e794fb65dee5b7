// Why: the image <-> patch-sequence mapping that the loss, the embedding and every view
// share. Patch vectors are ordered row-in-patch, column-in-patch, channel (the authors').
#pragma once

#include <ATen/core/Tensor.h>

namespace mae {

// (N, C, H, W) -> (N, L, p*p*C) with L = (H/p)*(W/p); H and W must be divisible by p.
at::Tensor patchify(const at::Tensor& images, int64_t patch);
// Exact inverse: (N, L, p*p*C) -> (N, C, grid_h*p, grid_w*p).
at::Tensor unpatchify(const at::Tensor& patches, int64_t patch, int64_t grid_h, int64_t grid_w,
                      int64_t channels);

}  // namespace mae
