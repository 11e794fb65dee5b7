// Why: see image_view.h.
#include "image_view.h"

#include <ATen/ATen.h>

#include <atomic>

namespace mae::studio {

namespace {
std::atomic<uint64_t> g_next_version{1};
}

uint64_t next_view_version() { return g_next_version++; }

ImageView make_view(const at::Tensor& image, const at::Tensor& mask, const at::Tensor& error) {
  ImageView v;
  auto img = image.detach().to(at::kCPU, at::kFloat);
  if (img.size(0) == 1) img = img.expand({3, img.size(1), img.size(2)});
  v.rgb = img.clamp(0.0, 1.0).mul(255.0).round().to(at::kByte).permute({1, 2, 0}).contiguous();
  if (mask.defined()) v.mask = mask.detach().to(at::kCPU, at::kFloat).contiguous();
  if (error.defined()) v.error = error.detach().to(at::kCPU, at::kFloat).contiguous();
  v.version = next_view_version();
  return v;
}

}  // namespace mae::studio
