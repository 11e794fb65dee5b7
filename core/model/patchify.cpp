// Why: plain reshape/permute so autograd and every device handle it.
#include "model/patchify.h"

#include <ATen/ATen.h>

#include <stdexcept>
#include <string>

namespace mae {

at::Tensor patchify(const at::Tensor& images, int64_t patch) {
  if (images.dim() != 4) throw std::invalid_argument("patchify expects (N, C, H, W)");
  const int64_t n = images.size(0), c = images.size(1), h = images.size(2), w = images.size(3);
  if (patch <= 0 || h % patch != 0 || w % patch != 0)
    throw std::invalid_argument("image " + std::to_string(h) + "x" + std::to_string(w) +
                                " is not divisible by patch " + std::to_string(patch));
  const int64_t gh = h / patch, gw = w / patch;
  return images.reshape({n, c, gh, patch, gw, patch})
      .permute({0, 2, 4, 3, 5, 1})
      .reshape({n, gh * gw, patch * patch * c});
}

at::Tensor unpatchify(const at::Tensor& patches, int64_t patch, int64_t grid_h, int64_t grid_w,
                      int64_t channels) {
  if (patches.dim() != 3 || patches.size(1) != grid_h * grid_w ||
      patches.size(2) != patch * patch * channels)
    throw std::invalid_argument("unpatchify: patch tensor does not match the grid");
  const int64_t n = patches.size(0);
  return patches.reshape({n, grid_h, grid_w, patch, patch, channels})
      .permute({0, 5, 1, 3, 2, 4})
      .reshape({n, channels, grid_h * patch, grid_w * patch});
}

}  // namespace mae
