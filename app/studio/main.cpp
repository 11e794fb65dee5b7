// Why: the desktop shell: a GLFW window with an OpenGL 3.3 core context (loaded by glad),
// Dear ImGui's GLFW and OpenGL3 backends, HiDPI scaling, drag and drop, a remembered
// layout, an event loop that sleeps when nothing changes, and the scripting hooks
// (--frames, --screenshot, --frame-stats, --report).
// glad provides the OpenGL declarations; GLFW must not include the system gl.h.
#define GLFW_INCLUDE_NONE
#include <ATen/ATen.h>
#include <GLFW/glfw3.h>
#include <glad/gl.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>
#include <imgui_internal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "data/image_io.h"
#include "delivered_mouse.h"
#include "frame_stats.h"
#include "gl_view_renderer.h"
#include "input_event_queue.h"
#include "studio_app.h"
#include "studio_options.h"
#include "util/host_allocator.h"
#include "util/stop_signals.h"

using namespace mae::studio;

namespace {

std::vector<std::string> g_dropped;
InputEventQueue g_input_events;
DeliveredMouseButtons g_mouse_buttons;

InputKind key_kind(int glfw_action) {
  return glfw_action == GLFW_PRESS    ? InputKind::KeyPress
         : glfw_action == GLFW_REPEAT ? InputKind::KeyRepeat
                                      : InputKind::KeyRelease;
}

// In place of ImGui's key, character and mouse button callbacks: the event waits for the frame
// that takes it, which hands it to ImGui.
void on_key(GLFWwindow*, int key, int scancode, int action, int mods) {
  g_input_events.push({key_kind(action), key, scancode, mods});
}

void on_char(GLFWwindow*, unsigned codepoint) {
  g_input_events.push({InputKind::Char, 0, 0, 0, codepoint});
}

void on_mouse_button(GLFWwindow* window, int button, int action, int mods) {
  double x = 0, y = 0;
  glfwGetCursorPos(window, &x, &y);
  const auto kind = action == GLFW_PRESS ? InputKind::MousePress : InputKind::MouseRelease;
  g_input_events.push({kind, button, 0, mods, 0, static_cast<float>(x), static_cast<float>(y)});
}

void pass_to_imgui(GLFWwindow* window, const InputEvent& e) {
  if (e.kind == InputKind::Char) return ImGui_ImplGlfw_CharCallback(window, e.codepoint);
  if (e.kind == InputKind::MousePress || e.kind == InputKind::MouseRelease)
    return g_mouse_buttons.take(e);
  const int action = e.kind == InputKind::KeyPress    ? GLFW_PRESS
                     : e.kind == InputKind::KeyRepeat ? GLFW_REPEAT
                                                      : GLFW_RELEASE;
  ImGui_ImplGlfw_KeyCallback(window, e.key, e.scancode, action, e.mods);
}

// Ctrl+C in the terminal, or the session ending (SIGTERM), must not lose a training run: the
// first signal saves the run's unsaved steps and quits; a second one ends the app at once. The
// signals' own thread calls this as a plain function (take_stop_signals_on_their_own_thread),
// so it may wake the frame loop from its wait at once: glfwPostEmptyEvent may be called from
// any thread while GLFW is alive, and the mutex keeps glfwTerminate from racing it.
std::atomic<int> g_signal{0};
std::mutex g_glfw_alive_mutex;
bool g_glfw_alive = false;
void on_quit_signal(int sig) {
  g_signal = sig;
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  const std::lock_guard<std::mutex> lock(g_glfw_alive_mutex);
  if (g_glfw_alive) glfwPostEmptyEvent();
}

void set_glfw_alive(bool alive) {
  const std::lock_guard<std::mutex> lock(g_glfw_alive_mutex);
  g_glfw_alive = alive;
}

void save_screenshot(GLFWwindow* window, const std::string& path) {
  int w = 0, h = 0;
  glfwGetFramebufferSize(window, &w, &h);
  std::vector<uint8_t> pixels(static_cast<size_t>(w) * h * 3);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadBuffer(GL_BACK);
  glReadPixels(0, 0, w, h, GL_RGB, GL_UNSIGNED_BYTE, pixels.data());
  auto image = at::from_blob(pixels.data(), {h, w, 3}, at::kByte)
                   .flip({0})
                   .permute({2, 0, 1})
                   .to(at::kFloat)
                   .div(255.0);
  mae::save_png(path, image);
}

// A window larger than the screen hides the right-hand panels out of reach: a size the user
// did not give is shrunk to the monitor's work area, and the window then opens maximised so
// that a window manager fits its frame too. Sizes are in screen units before HiDPI scaling.
void fit_default_size_to_screen(StudioOptions* options) {
  GLFWmonitor* monitor = glfwGetPrimaryMonitor();
  int x = 0, y = 0, w = 0, h = 0;
  if (monitor) glfwGetMonitorWorkarea(monitor, &x, &y, &w, &h);
  if (w <= 0 || h <= 0) return;
  float xscale = 1.0f, yscale = 1.0f;
  glfwGetMonitorContentScale(monitor, &xscale, &yscale);
  const int fit_w = static_cast<int>(w / std::max(xscale, 1.0f));
  const int fit_h = static_cast<int>(h / std::max(yscale, 1.0f));
  const bool shrink_w = !options->width_given && options->width > fit_w;
  const bool shrink_h = !options->height_given && options->height > fit_h;
  if (shrink_w) options->width = fit_w;
  if (shrink_h) options->height = fit_h;
  if (shrink_w || shrink_h) glfwWindowHint(GLFW_MAXIMIZED, GLFW_TRUE);
}

// Seconds from launch to the first frame on screen and to the checkpoint being usable.
struct LaunchTimes {
  double first_frame = -1, model_loaded = -1;
};

nlohmann::json internal_errors_json(const std::vector<InternalError>& errors) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& e : errors) list.push_back({{"text", e.text}, {"frames", e.frames}});
  return list;
}

void write_report(const StudioApp& app, const LaunchTimes& times, const std::string& path) {
  const auto& s = app.state();
  const auto info = const_cast<StudioApp&>(app).worker().model_info();
  nlohmann::json j = {
      {"run_state", to_string(app.run_state())},
      {"last_step", s.last_metrics.step},
      {"snapshots", s.snapshots.size()},
      {"triplet_rows", s.snapshots.empty()
                           ? (s.checkpoint_snapshot ? s.checkpoint_snapshot->rows.size() : 0)
                           : s.snapshots.back()->rows.size()},
      {"model_loaded", info.loaded},
      {"model_source", info.source},
      {"explorer_ratio", s.explorer.ratio},
      {"explorer_result", s.explorer.result.has_value()},
      {"explorer_masked_patches",
       s.explorer.result ? s.explorer.result->main.mask.sum().item<double>() : 0.0},
      {"explorer_latency_ms", s.explorer.last_timing.total_ms},
      {"explorer_waited_ms", s.explorer.last_timing.waited_ms},
      {"explorer_fit_ms", s.explorer.last_timing.fit_ms},
      {"explorer_model_ms", s.explorer.last_timing.model_ms},
      {"status", s.status},
      {"internal_errors", internal_errors_json(s.internal_errors)},
      {"first_frame_seconds", times.first_frame},
      {"model_loaded_seconds", times.model_loaded}};
  for (const char* name : {"Training", "Live triplets", "Curves", "Masking explorer", "Checkpoint"})
    if (ImGuiWindow* w = ImGui::FindWindowByName(name))
      j["panels"][name] = {w->Pos.x, w->Pos.y, w->Size.x, w->Size.y};
  std::ofstream(path) << j.dump(2) << '\n';
}

}  // namespace

int main(int argc, char** argv) {
  mae::take_stop_signals_on_their_own_thread();  // before any other thread starts
  const auto launched = std::chrono::steady_clock::now();
  mae::keep_freed_host_memory();
  LaunchTimes times;
  StudioOptions options;
  int exit_code = 0;
  if (!parse_options(argc, argv, &options, &exit_code)) return exit_code;

  glfwSetErrorCallback([](int code, const char* text) {
    std::fprintf(stderr, "mae-studio: GLFW error %d: %s\n", code, text);
  });
  if (!glfwInit()) {
    std::fprintf(stderr,
                 "mae-studio: cannot open a window (no display?). "
                 "Run under xvfb-run for headless use.\n");
    return 1;
  }
  set_glfw_alive(true);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  glfwWindowHint(GLFW_SCALE_TO_MONITOR, GLFW_TRUE);
  fit_default_size_to_screen(&options);
  GLFWwindow* window =
      glfwCreateWindow(options.width, options.height, "MAE Studio", nullptr, nullptr);
  if (!window) {
    std::fprintf(stderr, "mae-studio: cannot create an OpenGL 3.3 window\n");
    set_glfw_alive(false);
    glfwTerminate();
    return 1;
  }
  glfwMakeContextCurrent(window);
  if (!gladLoadGL(glfwGetProcAddress)) {
    std::fprintf(stderr, "mae-studio: cannot load OpenGL functions\n");
    return 1;
  }
  glfwSwapInterval(1);
  glfwSetDropCallback(window, [](GLFWwindow*, int count, const char** paths) {
    for (int i = 0; i < count; ++i) g_dropped.emplace_back(paths[i]);
  });

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  const std::string ini = options.config_dir + "/imgui.ini";
  io.IniFilename = ini.c_str();
  float xscale = 1.0f, yscale = 1.0f;
  glfwGetWindowContentScale(window, &xscale, &yscale);
  ImGui::StyleColorsDark();
  ImGui::GetStyle().ScaleAllSizes(xscale);
  io.FontGlobalScale = xscale;
  ImGui_ImplGlfw_InitForOpenGL(window, true);
  glfwSetKeyCallback(window, on_key);
  glfwSetCharCallback(window, on_char);
  glfwSetMouseButtonCallback(window, on_mouse_button);
  ImGui_ImplOpenGL3_Init("#version 330 core");

  std::signal(SIGINT, on_quit_signal);
  std::signal(SIGTERM, on_quit_signal);
  std::string saved_on_signal;  // where the run went when a signal ended the app
  std::filesystem::file_time_type signal_time;
  {
    GlViewRenderer renderer;
    StudioApp app(renderer, options);
    FrameStats stats;
    std::string title;
    int frames_at_once = 0;
    bool was_animating = false;
    for (int64_t frame = 0;; ++frame) {
      // Sleep until input arrives, or briefly while something is changing on its own. After
      // input a few frames follow at once: ImGui acts on a click over two frames (a combo
      // opens on the frame after the press), which must not wait for the next event; so do
      // frames while key, character and button events wait for their turn. So too when something
      // stops changing: what it left (a probe's table) is laid out on ImGui's next frame, and
      // its first, unsettled one stayed on screen for the second of sleep.
      const bool animating = app.animating();
      if (was_animating && !animating) frames_at_once = std::max(frames_at_once, 2);
      was_animating = animating;
      if (options.frames > 0 || frames_at_once > 0 || !g_input_events.empty()) {
        glfwPollEvents();
        --frames_at_once;
      } else {
        const double timeout = animating ? 1.0 / 30.0 : 1.0;
        const auto before = std::chrono::steady_clock::now();
        glfwWaitEventsTimeout(timeout);
        const double waited =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - before).count();
        if (waited < 0.9 * timeout) frames_at_once = 4;  // woken by input, not the clock
      }
      const auto start = std::chrono::steady_clock::now();
      if (!g_dropped.empty()) {
        app.handle_drop(g_dropped);
        g_dropped.clear();
      }
      if (const int sig = g_signal) {
        signal_time = std::filesystem::file_time_type::clock::now();
        saved_on_signal = app.quit_saving_work();
        std::fprintf(
            stderr, "mae-studio: %s: %s\n", strsignal(sig),
            saved_on_signal.empty() ? "quitting" : "saving the training run, then quitting");
        break;
      }
      if (glfwWindowShouldClose(window)) {
        if (options.frames > 0 || app.request_close()) break;
        glfwSetWindowShouldClose(window, GLFW_FALSE);
      }
      ImGui_ImplOpenGL3_NewFrame();
      const auto events = g_input_events.take_for_frame(text_field_was_active());
      for (const auto& e : events) pass_to_imgui(window, e);
      // ImGui acts on input over the frames after it (a combo opened on a release shows on the
      // next one): so do them, for input handed over after the frames its arrival woke.
      if (!events.empty()) frames_at_once = std::max(frames_at_once, 2);
      ImGui_ImplGlfw_NewFrame();
      g_mouse_buttons.apply(ImGui::GetIO());
      ImGui::NewFrame();
      app.frame();
      ImGui::Render();
      int w = 0, h = 0;
      glfwGetFramebufferSize(window, &w, &h);
      glViewport(0, 0, w, h);
      glClearColor(0.1f, 0.1f, 0.12f, 1.0f);
      glClear(GL_COLOR_BUFFER_BIT);
      ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
      renderer.end_frame();
      const bool last = options.frames > 0 && frame + 1 >= options.frames;
      if (last && !options.screenshot.empty()) save_screenshot(window, options.screenshot);
      glfwSwapBuffers(window);
      const double since_launch =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - launched).count();
      if (times.first_frame < 0) times.first_frame = since_launch;
      if (times.model_loaded < 0 && app.worker().model_info().loaded)
        times.model_loaded = since_launch;
      stats.add(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                    .count(),
                app.run_state() == SessionState::Running);
      if (app.title() != title) {
        title = app.title();
        glfwSetWindowTitle(window, title.c_str());
      }
      if (last || app.state().quit) break;
      // A counted run draws at most 60 frames a second, as a display's refresh would pace
      // it: under Xvfb nothing does, and frames drawn back to back in software would take
      // the cores from the trainer (fmnist-tiny reached step 9 instead of about 20 in 600).
      if (options.frames > 0)
        std::this_thread::sleep_until(start + std::chrono::microseconds(16667));
    }
    if (!options.frame_stats.empty()) std::ofstream(options.frame_stats) << stats.to_json() << '\n';
    if (!options.report.empty()) write_report(app, times, options.report);
  }  // the app's trainer is joined here, and writes a save it was asked for
  if (!saved_on_signal.empty()) {
    std::error_code ec;
    const bool written = std::filesystem::last_write_time(saved_on_signal, ec) >= signal_time;
    std::fprintf(stderr,
                 written ? "mae-studio: the training run was saved to %s\n"
                         : "mae-studio: could not save the training run to %s\n",
                 saved_on_signal.c_str());
    if (!written) exit_code = 1;
  }
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(window);
  set_glfw_alive(false);
  glfwTerminate();
  return exit_code;
}
