// Why: a quad covering the target; uv (0,0) is the first image row, so what the fragment
// shader writes appears upright when ImGui shows the texture with default uvs.
#version 330 core
layout(location = 0) in vec2 a_position;
out vec2 v_uv;
void main() {
  v_uv = a_position * 0.5 + 0.5;
  gl_Position = vec4(a_position, 0.0, 1.0);
}
