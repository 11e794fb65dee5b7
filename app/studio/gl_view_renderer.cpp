// Why: textures are cached by view version and style, and those a frame did not draw are freed at
// its end, so a view is uploaded and rendered once and GPU memory does not grow with the history.
#include "gl_view_renderer.h"

#include <glad/gl.h>

#include <stdexcept>
#include <string>

#include "shader_sources.h"

namespace mae::studio {

namespace {

unsigned compile(GLenum type, const char* source) {
  const unsigned shader = glCreateShader(type);
  glShaderSource(shader, 1, &source, nullptr);
  glCompileShader(shader);
  GLint ok = 0;
  glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
  if (!ok) {
    char log[2048];
    glGetShaderInfoLog(shader, sizeof log, nullptr, log);
    glDeleteShader(shader);
    throw std::runtime_error(std::string("shader compilation failed: ") + log);
  }
  return shader;
}

unsigned make_texture(GLint internal, int w, int h, GLenum format, GLenum type, const void* data) {
  unsigned tex = 0;
  glGenTextures(1, &tex);
  glBindTexture(GL_TEXTURE_2D, tex);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  glTexImage2D(GL_TEXTURE_2D, 0, internal, w, h, 0, format, type, data);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  return tex;
}

unsigned grid_texture(const at::Tensor& grid) {
  const float zero = 0.0f;
  if (!grid.defined()) return make_texture(GL_R32F, 1, 1, GL_RED, GL_FLOAT, &zero);
  return make_texture(GL_R32F, static_cast<int>(grid.size(1)), static_cast<int>(grid.size(0)),
                      GL_RED, GL_FLOAT, grid.data_ptr<float>());
}

}  // namespace

GlViewRenderer::GlViewRenderer() {
  const unsigned vs = compile(GL_VERTEX_SHADER, kFullscreenVert);
  const unsigned fs = compile(GL_FRAGMENT_SHADER, kImageViewFrag);
  program_ = glCreateProgram();
  glAttachShader(program_, vs);
  glAttachShader(program_, fs);
  glLinkProgram(program_);
  glDeleteShader(vs);
  glDeleteShader(fs);
  GLint ok = 0;
  glGetProgramiv(program_, GL_LINK_STATUS, &ok);
  if (!ok) throw std::runtime_error("shader program failed to link");
  const float quad[] = {-1, -1, 1, -1, -1, 1, 1, 1};
  glGenVertexArrays(1, &vao_);
  glGenBuffers(1, &vbo_);
  glBindVertexArray(vao_);
  glBindBuffer(GL_ARRAY_BUFFER, vbo_);
  glBufferData(GL_ARRAY_BUFFER, sizeof quad, quad, GL_STATIC_DRAW);
  glEnableVertexAttribArray(0);
  glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 0, nullptr);
  glBindVertexArray(0);
}

GlViewRenderer::~GlViewRenderer() {
  for (auto& [key, entry] : cache_) release(entry);
  glDeleteBuffers(1, &vbo_);
  glDeleteVertexArrays(1, &vao_);
  glDeleteProgram(program_);
}

void GlViewRenderer::release(Entry& e) {
  glDeleteFramebuffers(1, &e.framebuffer);
  const unsigned textures[] = {e.output, e.image, e.mask, e.error};
  glDeleteTextures(4, textures);
}

ImTextureID GlViewRenderer::texture(const ImageView& view, const ViewStyle& style) {
  const Key key{view.version, style.tint_mask, style.patch_grid, style.heat_map,
                static_cast<int>(style.error_max * 1000)};
  auto it = cache_.find(key);
  if (it == cache_.end()) {
    it = cache_.emplace(key, Entry{}).first;
    render(view, style, it->second);
  }
  it->second.last_used = frame_;
  return reinterpret_cast<ImTextureID>(static_cast<intptr_t>(it->second.output));
}

void GlViewRenderer::render(const ImageView& view, const ViewStyle& style, Entry& e) {
  const int w = view.width(), h = view.height();
  // Small images are drawn larger so one-pixel grid lines stay thin relative to patches.
  const int scale = std::max(1, 256 / std::max(w, h));
  const int tw = w * scale, th = h * scale;
  e.image = make_texture(GL_RGB8, w, h, GL_RGB, GL_UNSIGNED_BYTE, view.rgb.data_ptr<uint8_t>());
  e.mask = grid_texture(view.mask);
  e.error = grid_texture(view.error);
  e.output = make_texture(GL_RGBA8, tw, th, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
  glGenFramebuffers(1, &e.framebuffer);

  GLint previous_fb = 0, viewport[4];
  glGetIntegerv(GL_FRAMEBUFFER_BINDING, &previous_fb);
  glGetIntegerv(GL_VIEWPORT, viewport);
  glBindFramebuffer(GL_FRAMEBUFFER, e.framebuffer);
  glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, e.output, 0);
  glViewport(0, 0, tw, th);
  glUseProgram(program_);
  const unsigned textures[] = {e.image, e.mask, e.error};
  const char* names[] = {"u_image", "u_mask", "u_error"};
  for (int i = 0; i < 3; ++i) {
    glActiveTexture(GL_TEXTURE0 + i);
    glBindTexture(GL_TEXTURE_2D, textures[i]);
    glUniform1i(glGetUniformLocation(program_, names[i]), i);
  }
  const float gw = view.mask.defined() ? static_cast<float>(view.mask.size(1)) : 1.0f;
  const float gh = view.mask.defined() ? static_cast<float>(view.mask.size(0)) : 1.0f;
  glUniform2f(glGetUniformLocation(program_, "u_grid"), gw, gh);
  glUniform2f(glGetUniformLocation(program_, "u_target"), static_cast<float>(tw),
              static_cast<float>(th));
  glUniform1i(glGetUniformLocation(program_, "u_tint_mask"), style.tint_mask);
  glUniform1i(glGetUniformLocation(program_, "u_patch_grid"),
              style.patch_grid && view.mask.defined());
  glUniform1i(glGetUniformLocation(program_, "u_heat_map"), style.heat_map);
  glUniform1i(glGetUniformLocation(program_, "u_has_mask"), view.mask.defined());
  glUniform1i(glGetUniformLocation(program_, "u_has_error"), view.error.defined());
  glUniform1f(glGetUniformLocation(program_, "u_error_max"), style.error_max);
  glBindVertexArray(vao_);
  glDisable(GL_BLEND);
  glDisable(GL_SCISSOR_TEST);
  glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
  glBindVertexArray(0);
  glActiveTexture(GL_TEXTURE0);
  glBindFramebuffer(GL_FRAMEBUFFER, static_cast<unsigned>(previous_fb));
  glViewport(viewport[0], viewport[1], viewport[2], viewport[3]);
}

void GlViewRenderer::end_frame() {
  ++frame_;
  for (auto it = cache_.begin(); it != cache_.end();) {
    if (frame_ - it->second.last_used > 2) {
      release(it->second);
      it = cache_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace mae::studio
