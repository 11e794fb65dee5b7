// Why: an exported picture must be what the user saw: the same mask tint, patch grid and
// heat map the GPU shader draws, composed here on the CPU at a chosen enlargement.
#pragma once

#include <ATen/core/Tensor.h>

#include "image_view.h"
#include "view_renderer.h"

namespace mae::studio {

// (3, H * scale, W * scale) float in [0, 1], overlays as in shaders/image_view.frag.
at::Tensor compose_view(const ImageView& view, const ViewStyle& style, int64_t scale);

// The shader's heat ramp (blue, through red, to yellow) for values t in [0, 1].
at::Tensor heat_ramp(const at::Tensor& t);

}  // namespace mae::studio
