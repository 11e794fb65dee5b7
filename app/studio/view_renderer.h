// Why: panels ask for "this view with these overlays" and get something ImGui can draw.
// The real implementation renders through the GLSL in shaders/; tests use a mock, so the
// UI logic runs headless (no window, no GL context).
#pragma once

#include <imgui.h>

#include "image_view.h"

namespace mae::studio {

struct ViewStyle {
  bool tint_mask = false;   // tint removed patches
  bool patch_grid = false;  // draw patch boundaries
  bool heat_map = false;    // per-patch error as a heat map
  float error_max = 2.0f;   // error that maps to the hottest colour
  bool operator==(const ViewStyle&) const = default;
};

class ViewRenderer {
 public:
  virtual ~ViewRenderer() = default;
  // A texture showing `view` with `style`; valid until the next frame's end.
  virtual ImTextureID texture(const ImageView& view, const ViewStyle& style) = 0;
  // Called once per frame after drawing, to free textures nobody asked for.
  virtual void end_frame() = 0;
};

}  // namespace mae::studio
