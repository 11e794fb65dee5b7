// Why: teaching pictures (pipeline stages, attention) colour numbers the same way
// everywhere: a heat ramp for magnitudes and blue-white-red for signed values.
#pragma once

#include <ATen/core/Tensor.h>

namespace mae {

// (rows, cols) values >= 0 -> (3, rows, cols) black, red, yellow, white, scaled by the max.
at::Tensor heat_colours(const at::Tensor& values);

// (rows, cols) signed values -> (3, rows, cols) blue (negative), white (0), red (positive),
// scaled by the largest magnitude.
at::Tensor diverging_colours(const at::Tensor& values);

}  // namespace mae
