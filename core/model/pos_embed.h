// Why: the fixed 2-D sin-cos position table of the MAE paper, bit-compatible with the
// authors' numpy code (float64 math, cast to float32).
#pragma once

#include <ATen/core/Tensor.h>

namespace mae {

// (1, grid_h*grid_w + 1, dim) float32; row 0 (the cls slot) is all zeros. The first dim/2
// channels encode the column index, the second dim/2 the row index.
at::Tensor sincos_pos_embed_2d(int64_t dim, int64_t grid_h, int64_t grid_w);

}  // namespace mae
