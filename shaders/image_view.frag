// Why: every image view in the app: the picture, removed patches tinted, patch grid
// lines, and the per-patch error as a heat map, all decided per pixel on the GPU.
#version 330 core
in vec2 v_uv;
out vec4 frag_color;

uniform sampler2D u_image;  // RGB, one texel per pixel
uniform sampler2D u_mask;   // R, one texel per patch, 1 = removed
uniform sampler2D u_error;  // R, one texel per patch
uniform vec2 u_grid;        // patches across, down
uniform vec2 u_target;      // output size in pixels
uniform int u_tint_mask;
uniform int u_patch_grid;
uniform int u_heat_map;
uniform int u_has_mask;
uniform int u_has_error;
uniform float u_error_max;

vec3 heat(float t) {
  return clamp(vec3(1.5 * t, 1.5 * t - 0.5, 0.5 - t) + vec3(0.0, 0.0, 0.5 * (1.0 - t)), 0.0, 1.0);
}

void main() {
  vec3 color = texture(u_image, v_uv).rgb;
  if (u_tint_mask == 1 && u_has_mask == 1 && texture(u_mask, v_uv).r > 0.5)
    color = mix(color, vec3(0.25, 0.45, 0.95), 0.2);
  if (u_heat_map == 1 && u_has_error == 1) {
    float t = clamp(texture(u_error, v_uv).r / u_error_max, 0.0, 1.0);
    color = mix(color, heat(t), 0.6);
  }
  if (u_patch_grid == 1) {
    vec2 cell = v_uv * u_grid;
    vec2 edge = fract(cell) * u_target / u_grid;  // pixels from the patch's left/top edge
    if (edge.x < 1.0 || edge.y < 1.0) color = mix(color, vec3(1.0, 0.9, 0.3), 0.55);
  }
  frag_color = vec4(color, 1.0);
}
