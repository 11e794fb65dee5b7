// Why: the real ViewRenderer: uploads each view once and renders it with overlays through
// the GLSL in shaders/ into an offscreen texture that ImGui draws. Needs a current GL 3.3
// context (the UI thread's).
#pragma once

#include <cstdint>
#include <map>
#include <tuple>

#include "view_renderer.h"

namespace mae::studio {

class GlViewRenderer : public ViewRenderer {
 public:
  GlViewRenderer();  // compiles the shaders; throws std::runtime_error on failure
  ~GlViewRenderer() override;
  GlViewRenderer(const GlViewRenderer&) = delete;
  GlViewRenderer& operator=(const GlViewRenderer&) = delete;

  ImTextureID texture(const ImageView& view, const ViewStyle& style) override;
  void end_frame() override;

 private:
  struct Entry {
    unsigned framebuffer = 0, output = 0, image = 0, mask = 0, error = 0;
    uint64_t last_used = 0;
  };
  using Key = std::tuple<uint64_t, bool, bool, bool, int>;
  void render(const ImageView& view, const ViewStyle& style, Entry& entry);
  static void release(Entry& entry);

  unsigned program_ = 0, vao_ = 0, vbo_ = 0;
  std::map<Key, Entry> cache_;
  uint64_t frame_ = 0;
};

}  // namespace mae::studio
