// Why: versions come from one atomic counter, so views built on any thread never share one and the
// GL side never shows a stale texture.
#include "image_view.h"

#include <ATen/ATen.h>

#include <atomic>

namespace mae::studio {

namespace {
std::atomic<uint64_t> g_next_version{1};
}

uint64_t next_view_version() { return g_next_version++; }

at::Tensor view_pixels(const at::Tensor& image) {
  auto img = image.detach().to(at::kFloat);
  if (img.size(0) == 1) img = img.expand({3, img.size(1), img.size(2)});
  return img.clamp(0.0, 1.0).mul(255.0).round().to(at::kByte).permute({1, 2, 0}).contiguous();
}

ImageView view_of_pixels(at::Tensor rgb, const at::Tensor& mask, const at::Tensor& error) {
  ImageView v;
  v.rgb = std::move(rgb);
  if (mask.defined()) v.mask = mask.detach().to(at::kCPU, at::kFloat).contiguous();
  if (error.defined()) v.error = error.detach().to(at::kCPU, at::kFloat).contiguous();
  v.version = next_view_version();
  return v;
}

ImageView make_view(const at::Tensor& image, const at::Tensor& mask, const at::Tensor& error) {
  return view_of_pixels(view_pixels(image.to(at::kCPU)), mask, error);
}

}  // namespace mae::studio
