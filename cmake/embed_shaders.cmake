# Why: turns shaders/*.vert|frag into C++ string constants (run by the build, see
# app/studio/CMakeLists.txt), so shader edits rebuild the app and no path is needed at run time.
file(READ ${SHADER_DIR}/fullscreen.vert VERT)
file(READ ${SHADER_DIR}/image_view.frag FRAG)
file(WRITE ${OUT} "// Generated from shaders/ by cmake/embed_shaders.cmake; do not edit.\n"
  "#include \"shader_sources.h\"\n"
  "namespace mae::studio {\n"
  "const char* const kFullscreenVert = R\"glsl(${VERT})glsl\";\n"
  "const char* const kImageViewFrag = R\"glsl(${FRAG})glsl\";\n"
  "}\n")
