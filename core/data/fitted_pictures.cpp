// Why: the pictures a probe or a sweep scores on, fitted once and kept small.
#include "data/fitted_pictures.h"

#include <ATen/ATen.h>

#include "data/picture_fit.h"

namespace mae {

FittedPictures::FittedPictures(std::shared_ptr<const Dataset> base, int64_t channels, int64_t out_h,
                               int64_t out_w, size_t memory_budget)
    : base_(std::move(base)),
      channels_(channels),
      out_h_(out_h),
      out_w_(out_w),
      memory_budget_(memory_budget) {}

DecodedImage FittedPictures::load_pixels(int64_t index) const {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = kept_.find(index); it != kept_.end()) return it->second;
  }
  const auto source = base_->load_pixels(index);  // throws ImageError for an unreadable item
  const auto decoded = source.pixels.permute({2, 0, 1});
  auto fitted = fit_picture(decoded, channels_, out_h_, out_w_);
  // Bytes fitted in 8 bits come back as k / 255 in floats: k again, exactly, once rounded.
  if (decoded.scalar_type() == at::kByte) fitted = fitted.mul(255.0).round_().to(at::kByte);
  DecodedImage picture{fitted.permute({1, 2, 0}).contiguous(), source.source_h, source.source_w};
  const auto bytes = static_cast<size_t>(picture.pixels.nbytes());
  const std::lock_guard<std::mutex> lock(mutex_);
  if (kept_bytes_ + bytes <= memory_budget_ && kept_.emplace(index, picture).second)
    kept_bytes_ += bytes;
  return picture;
}

}  // namespace mae
