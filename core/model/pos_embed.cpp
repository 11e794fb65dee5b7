// Why: computed element by element in double so that every value equals
// numpy's float64 result before the final float32 cast.
#include "model/pos_embed.h"

#include <ATen/ATen.h>

#include <cmath>
#include <stdexcept>

namespace mae {

at::Tensor sincos_pos_embed_2d(int64_t dim, int64_t grid_h, int64_t grid_w) {
  if (dim % 4 != 0) throw std::invalid_argument("sin-cos table needs dim divisible by 4");
  const int64_t half = dim / 2, quarter = dim / 4;
  auto table = at::zeros({1, grid_h * grid_w + 1, dim}, at::kDouble);
  auto t = table.accessor<double, 3>();
  for (int64_t i = 0; i < grid_h; ++i) {
    for (int64_t j = 0; j < grid_w; ++j) {
      const int64_t token = 1 + i * grid_w + j;
      for (int64_t k = 0; k < quarter; ++k) {
        double omega = static_cast<double>(k) / (static_cast<double>(half) / 2.0);
        omega = 1.0 / std::pow(10000.0, omega);
        const double col = static_cast<double>(j) * omega;
        const double row = static_cast<double>(i) * omega;
        t[0][token][k] = std::sin(col);
        t[0][token][quarter + k] = std::cos(col);
        t[0][token][half + k] = std::sin(row);
        t[0][token][half + quarter + k] = std::cos(row);
      }
    }
  }
  return table.to(at::kFloat);
}

}  // namespace mae
