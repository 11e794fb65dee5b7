// Why: the GLSL sources from shaders/, embedded at build time (cmake/embed_shaders.cmake).
#pragma once

namespace mae::studio {
extern const char* const kFullscreenVert;
extern const char* const kImageViewFrag;
}  // namespace mae::studio
