// Why: every constant mirrors one in shaders/image_view.frag.
#include "view_compose.h"

#include <ATen/ATen.h>

#include <stdexcept>

namespace mae::studio {

namespace {
// A (grid_h, grid_w) grid stretched over an (h, w) picture, nearest patch.
at::Tensor per_pixel(const at::Tensor& grid, int64_t h, int64_t w) {
  return at::upsample_nearest2d(grid.to(at::kFloat).view({1, 1, grid.size(0), grid.size(1)}),
                                {h, w})
      .view({h, w});
}
}  // namespace

at::Tensor heat_ramp(const at::Tensor& t) {
  return at::stack({1.5 * t, 1.5 * t - 0.5, 0.5 - t + 0.5 * (1 - t)}).clamp(0, 1);
}

at::Tensor compose_view(const ImageView& view, const ViewStyle& style, int64_t scale) {
  if (view.empty()) throw std::runtime_error("nothing to export yet");
  scale = std::max<int64_t>(1, scale);
  auto img = view.rgb.permute({2, 0, 1}).to(at::kFloat).div(255.0);
  img = img.repeat_interleave(scale, 1).repeat_interleave(scale, 2).contiguous();
  const int64_t h = img.size(1), w = img.size(2);
  if (style.tint_mask && view.mask.defined()) {
    auto removed = per_pixel(view.mask, h, w).gt(0.5).unsqueeze(0);
    auto tint = at::tensor({0.25f, 0.45f, 0.95f}).view({3, 1, 1});
    img = at::where(removed, 0.8 * img + 0.2 * tint, img);
  }
  if (style.heat_map && view.error.defined()) {
    auto t = (per_pixel(view.error, h, w) / style.error_max).clamp(0, 1);
    img = 0.4 * img + 0.6 * heat_ramp(t);
  }
  const at::Tensor& grid = view.mask.defined() ? view.mask : view.error;
  if (style.patch_grid && grid.defined()) {
    // A line one output pixel wide along each patch's top and left edge.
    auto ys = at::arange(h, at::kFloat), xs = at::arange(w, at::kFloat);
    const double ph = static_cast<double>(h) / static_cast<double>(grid.size(0));
    const double pw = static_cast<double>(w) / static_cast<double>(grid.size(1));
    auto row_edge = (ys - (ys / ph).floor() * ph).lt(1.0).view({h, 1});
    auto col_edge = (xs - (xs / pw).floor() * pw).lt(1.0).view({1, w});
    auto edge = (row_edge | col_edge).unsqueeze(0);
    auto line = at::tensor({1.0f, 0.9f, 0.3f}).view({3, 1, 1});
    img = at::where(edge, 0.45 * img + 0.55 * line, img);
  }
  return img.clamp(0, 1);
}

}  // namespace mae::studio
