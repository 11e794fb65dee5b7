// Why: the explorer keeps an opened photo as the bytes it decoded to and fits it to each model
// it is shown to. Converting the whole picture to floats for that held four times its bytes
// (1.15 GB for a 96-MP photo) and briefly several such copies; here rows are converted and
// narrowed a band at a time, so only the picture already narrowed to the model's width is ever
// floats, and the result is the same bits as the whole-picture conversion gave.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace mae {

// A (C, H, W) picture, uint8 or float in [0, 1], as the model's (channels, out_h, out_w) float
// input: resize_center_crop(convert_channels(to_unit(picture), channels), out_h, out_w), bit
// for bit. band_rows: rows converted at a time (0: about 8 Mi floats' worth; tests set it).
at::Tensor fit_picture(const at::Tensor& picture, int64_t channels, int64_t out_h, int64_t out_w,
                       int64_t band_rows = 0);

}  // namespace mae
