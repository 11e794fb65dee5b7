// Why: the paper's pre-training augmentation (RandomResizedCrop with bicubic resampling,
// horizontal flip, mean/std normalization) and the plain resize used for evaluation.
// Randomness is drawn on the CPU from a caller-owned engine, in the source picture's own
// coordinates, so a batch is a pure function of its seed whether or not the picture was
// shrunk by the cache; the pixel work is ATen ops that run on the loader threads or on the
// training device alike.
#pragma once

#include <ATen/core/Tensor.h>

#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "data/photo_decode.h"

namespace mae {

struct AugmentConfig {
  int64_t out_h = 224;
  int64_t out_w = 224;
  double scale_min = 0.2;  // RandomResizedCrop scale range (min, 1)
  double scale_max = 1.0;
  bool hflip = true;
};

// A crop in the source picture's pixels, and whether to mirror it.
struct CropBox {
  int64_t top = 0, left = 0, height = 0, width = 0;
  bool flip = false;
};

// torchvision's RandomResizedCrop box (10 tries, then a center crop) with ratio (3/4, 4/3),
// then a 50% flip draw, for a source picture of h x w.
CropBox sample_crop(int64_t h, int64_t w, const AugmentConfig& config, std::mt19937_64& rng);

// Crops each picture (uint8, or float in [0,1], (H, W, C); the box is scaled from the
// source size to the stored size), resizes it to (out_h, out_w) with antialiased bicubic
// (in 8 bits on the CPU, as PIL does) and mirrors it: (N, C, out_h, out_w) pixel values in
// 0..255 on `device`, uint8 when every picture is 8-bit and the device is the CPU, float
// otherwise. A quarter of the float batch's bytes to copy to a GPU.
at::Tensor crop_resize(const std::vector<DecodedImage>& images, const std::vector<CropBox>& boxes,
                       int64_t out_h, int64_t out_w, at::Device device);

// The loader's share when the training device crops: each picture's crop box (scaled to the
// stored picture) copied out as it is, back to back in one buffer that crosses the bus in one
// copy; the device resizes, mirrors and normalizes. A copy instead of a resize per picture on
// the CPU, for about 6x the bytes of the uint8 batch (ViT-B/16 from 672 px pictures).
struct CropRegion {
  int64_t offset = 0;  // elements into PackedCrops::pixels where its (height, width, C) start
  int64_t height = 0;
  int64_t width = 0;
  bool flip = false;
};
struct PackedCrops {
  at::Tensor pixels;  // 1-D; uint8 when every picture is 8-bit, else float values 0..255
  int64_t channels = 0;
  std::vector<CropRegion> regions;
};
PackedCrops pack_crops(const std::vector<DecodedImage>& images, const std::vector<CropBox>& boxes,
                       bool pinned);

// pack_crops' regions (its pixels on any device) resized to (out_h, out_w) with antialiased
// bicubic in float, rounded when 8-bit, and mirrored where drawn: (N, C, out_h, out_w) float
// pixel values 0..255 on the pixels' device, what crop_resize gives on that device.
at::Tensor resize_packed_crops(const at::Tensor& pixels, int64_t channels,
                               const std::vector<CropRegion>& regions, int64_t out_h,
                               int64_t out_w);

// crop_resize's pixel values (any dtype, any device) -> float (x / 255 - mean) / std, on the
// pixels' device: on a GPU for the trainer, so that uint8 crosses the bus.
at::Tensor normalize_pixels(const at::Tensor& pixels, const std::vector<double>& mean,
                            const std::vector<double>& std);
// The same, written into `out` (float, the pixels' shape and device) and returned: one
// buffer, no temporaries, the same arithmetic.
at::Tensor normalize_pixels_into(const at::Tensor& out, const at::Tensor& pixels,
                                 const std::vector<double>& mean, const std::vector<double>& std);

// (C, H, W) in [0,1] -> (C, out_h, out_w) in [0,1]: one sample_crop, resized and flipped.
at::Tensor random_resized_crop(const at::Tensor& image, const AugmentConfig& config,
                               std::mt19937_64& rng);

// Resizes so that the image covers (out_h, out_w), then center-crops: no randomness.
at::Tensor resize_center_crop(const at::Tensor& image, int64_t out_h, int64_t out_w);

// The (height, width) resize_center_crop resizes an h x w picture to before its crop.
std::pair<int64_t, int64_t> covering_size(int64_t h, int64_t w, int64_t out_h, int64_t out_w);

// For a picture of so extreme a shape that its covering size exceeds 16 Mi pixels, the part of
// it (in its own pixels) that the centre crop keeps: resize_center_crop resizes only that part,
// straight to the output, which differs from resizing the whole at the part's edges only. A
// 1 x 65535 PNG of 1 KB, fitted to a 224-px model, was to become 224 x 14.7M floats (39 GB).
// nullopt for every picture of an ordinary shape.
std::optional<CropBox> kept_part_of_oversized_cover(int64_t h, int64_t w, int64_t out_h,
                                                    int64_t out_w);

// The centre (out_h, out_w) of a (C, H, W) image, contiguous.
at::Tensor centre_crop(const at::Tensor& image, int64_t out_h, int64_t out_w);

// Bicubic (antialiased when shrinking) resize of (C, H, W), clamped to [0,1] like 8-bit
// images would be.
at::Tensor resize_bicubic(const at::Tensor& image, int64_t out_h, int64_t out_w);

// Per-channel (x - mean) / std and its inverse, for (C,H,W) or (N,C,H,W) tensors.
at::Tensor normalize(const at::Tensor& images, const std::vector<double>& mean,
                     const std::vector<double>& std);
at::Tensor denormalize(const at::Tensor& images, const std::vector<double>& mean,
                       const std::vector<double>& std);

}  // namespace mae
