// Why: what every picture in the app is made of: a CPU uint8 RGB image plus optional
// per-patch mask and error grids, tagged with a version so the GL side uploads it once.
// No GL and no ImGui here: views are built on worker threads and handed to the UI.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

namespace mae::studio {

struct ImageView {
  at::Tensor rgb;    // (H, W, 3) uint8, contiguous, CPU
  at::Tensor mask;   // (grid_h, grid_w) float 0/1, or undefined
  at::Tensor error;  // (grid_h, grid_w) float, or undefined
  uint64_t version = 0;
  bool empty() const { return !rgb.defined(); }
  int width() const { return empty() ? 0 : static_cast<int>(rgb.size(1)); }
  int height() const { return empty() ? 0 : static_cast<int>(rgb.size(0)); }
};

// From a (C, H, W) float image in [0,1] (C = 1 or 3).
ImageView make_view(const at::Tensor& image, const at::Tensor& mask = {},
                    const at::Tensor& error = {});

// make_view's pixels, (H, W, 3) uint8, computed on the image's device: on a GPU a quarter of
// the float image's bytes come back, and the UI thread has no conversion to do.
at::Tensor view_pixels(const at::Tensor& image);
// A view of pixels view_pixels made, already on the CPU.
ImageView view_of_pixels(at::Tensor rgb, const at::Tensor& mask = {}, const at::Tensor& error = {});

// A version no view has had yet: a view whose pixels or grids change takes a new one.
uint64_t next_view_version();

}  // namespace mae::studio
