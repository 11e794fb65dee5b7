// Why: the explorer keeps an opened photo as the bytes it decoded to and fits it to each model
// it is shown to. Converting the whole picture to floats for that held four times its bytes
// (1.15 GB for a 96-MP photo) and briefly several such copies; here the width pass runs a band
// of rows at a time, so only the picture already narrowed to the model's width is held whole.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace mae {

// A (C, H, W) picture, uint8 or float in [0, 1], as the model's (channels, out_h, out_w) float
// input: resized to cover the model's input and centre-cropped, as resize_center_crop does.
// Bytes are made gray as the decoders make them (where the model is gray) and resized in 8
// bits, bit for bit as one call on the whole picture would; floats are converted and resized
// as floats, bit for bit as resize_center_crop(convert_channels(picture, channels), ...).
// band_rows: rows of the width pass at a time (0: about 8 Mi samples' worth; tests set it).
at::Tensor fit_picture(const at::Tensor& picture, int64_t channels, int64_t out_h, int64_t out_w,
                       int64_t band_rows = 0);

class Dataset;

// Items of a dataset fitted to the model's input as fit_picture fits them, from the bytes their
// decoder gave: what `mae eval` and the probe measure, so both see the pixels PIL would make.
struct FittedItems {
  at::Tensor images;                    // (N, channels, out_h, out_w) float in [0, 1]
  std::vector<int64_t> kept;            // the N items' indices
  std::vector<std::string> unreadable;  // the others, as their errors say: the file and why
};
FittedItems fit_items(const Dataset& dataset, const std::vector<int64_t>& indices, int64_t channels,
                      int64_t out_h, int64_t out_w);

}  // namespace mae
