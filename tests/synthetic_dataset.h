// Why: tests need a dataset that is fast, deterministic and free of files: simple shapes
// (a bright rectangle on a gradient) generated from the index, optionally poisoned with NaN.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <thread>

#include "data/dataset.h"

class SyntheticDataset : public mae::Dataset {
 public:
  SyntheticDataset(int64_t count, int64_t channels, int64_t size, bool nan = false)
      : count_(count), channels_(channels), size_(size), nan_(nan) {}
  int64_t size() const override { return count_; }
  int64_t channels() const override { return channels_; }
  // Float (H, W, C) pixels in [0, 1], so that NaN can be fed to the trainer.
  mae::DecodedImage load_pixels(int64_t index) const override {
    if (nan_) return {torch::full({size_, size_, channels_}, NAN), size_, size_};
    auto y = torch::linspace(0, 1, size_).view({size_, 1, 1});
    auto img = (y * 0.3).expand({size_, size_, channels_}).clone();
    const int64_t a = index % (size_ / 2), b = (index * 7) % (size_ / 2);
    img.narrow(0, a, size_ / 2).narrow(1, b, size_ / 2).fill_(0.9);
    return {img, size_, size_};
  }
  std::string description() const override { return "synthetic"; }

 private:
  int64_t count_, channels_, size_;
  bool nan_;
};

// The same pictures, each taking 30 ms to load: a loader far behind a small model's step.
class SlowSyntheticDataset : public SyntheticDataset {
 public:
  using SyntheticDataset::SyntheticDataset;
  mae::DecodedImage load_pixels(int64_t index) const override {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    return SyntheticDataset::load_pixels(index);
  }
};
