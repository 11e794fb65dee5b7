// Why: a probe reads each picture three times (for the encoder's features, a random encoder's
// and the raw pixels') and a sweep scores every ratio on the same pictures. Each read decoded
// the whole photo again, which tripled a probe's time once it stopped decoding photos small
// (a small decode and a second resize made pixels PIL would not). Fitted once to the model's
// input, as fit_picture fits them, the pictures are small, and each later read is a copy.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "data/dataset.h"

namespace mae {

// `base`'s items, each fitted to (channels, out_h, out_w) as fit_picture fits it, in bytes when
// the base gives bytes. fit_picture passes them through unchanged, so fit_items over these is
// fit_items over the base, bit for bit. Up to `memory_budget` bytes of them are kept; the rest
// are fitted again on each read. Safe to read from several threads.
class FittedPictures : public Dataset {
 public:
  FittedPictures(std::shared_ptr<const Dataset> base, int64_t channels, int64_t out_h,
                 int64_t out_w, size_t memory_budget = size_t{512} << 20);
  int64_t size() const override { return base_->size(); }
  int64_t channels() const override { return channels_; }
  DecodedImage load_pixels(int64_t index) const override;
  int64_t label(int64_t index) const override { return base_->label(index); }
  std::vector<std::string> class_names() const override { return base_->class_names(); }
  std::string description() const override { return base_->description(); }
  std::string item_name(int64_t index) const override { return base_->item_name(index); }
  // No first pass (the default prepare()): each picture is decoded and fitted when first read,
  // and a base's first pass would decode them all for nothing kept.
  std::vector<std::string> unreadable() const override { return base_->unreadable(); }

 private:
  std::shared_ptr<const Dataset> base_;
  int64_t channels_, out_h_, out_w_;
  size_t memory_budget_;
  mutable std::mutex mutex_;
  mutable std::unordered_map<int64_t, DecodedImage> kept_;
  mutable size_t kept_bytes_ = 0;
};

}  // namespace mae
