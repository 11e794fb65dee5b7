// Why: the studio tests run real frames of StudioApp without a window: a headless ImGui
// context (font atlas built, display size set) and a mock renderer. Each test file that drives
// the app shares these, and the helpers that launch it on a tiny checkpoint.
#pragma once

#include <doctest/doctest.h>
#include <imgui.h>
#include <imgui_internal.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "data/dataset.h"
#include "io/checkpoint.h"
#include "keys.h"
#include "model/mae_model.h"
#include "model/presets.h"
#include "studio_app.h"
#include "view_renderer.h"

namespace mae::studio::testing {

class MockRenderer : public ViewRenderer {
 public:
  ImTextureID texture(const ImageView& view, const ViewStyle& style) override {
    ++requests;
    if (style.patch_grid) ++grid_requests;
    last_size = {view.width(), view.height()};
    return reinterpret_cast<ImTextureID>(intptr_t{1});
  }
  void end_frame() override {}
  int requests = 0, grid_requests = 0;
  std::pair<int, int> last_size;
};

struct HeadlessImGui {
  HeadlessImGui() {
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(1600, 1000);
    // ImGui's own keys at GLFW's codes, as the GLFW backend maps them in the app.
    const std::pair<ImGuiKey, int> key_map[] = {{ImGuiKey_Tab, keys::kTab},
                                                {ImGuiKey_LeftArrow, keys::kLeftArrow},
                                                {ImGuiKey_RightArrow, keys::kRightArrow},
                                                {ImGuiKey_UpArrow, keys::kUpArrow},
                                                {ImGuiKey_DownArrow, keys::kDownArrow},
                                                {ImGuiKey_Home, keys::kHome},
                                                {ImGuiKey_End, keys::kEnd},
                                                {ImGuiKey_Delete, keys::kDelete},
                                                {ImGuiKey_Backspace, keys::kBackspace},
                                                {ImGuiKey_Space, keys::kSpace},
                                                {ImGuiKey_Enter, keys::kEnter},
                                                {ImGuiKey_Escape, keys::kEscape},
                                                {ImGuiKey_A, keys::kA},
                                                {ImGuiKey_C, keys::kC},
                                                {ImGuiKey_V, keys::kV},
                                                {ImGuiKey_X, keys::kX},
                                                {ImGuiKey_Y, keys::kY},
                                                {ImGuiKey_Z, keys::kZ}};
    for (const auto& [key, code] : key_map) io.KeyMap[key] = code;
    unsigned char* pixels = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
    io.Fonts->SetTexID(reinterpret_cast<ImTextureID>(intptr_t{1}));
  }
  ~HeadlessImGui() { ImGui::DestroyContext(); }
  void frame(StudioApp& app) {
    ImGui::GetIO().DeltaTime = 1.0f / 60.0f;
    ImGui::NewFrame();
    app.frame();
    ImGui::Render();
    for (bool& k : ImGui::GetIO().KeysDown) k = false;
    // The app goes on past a fault in a panel; a test does not.
    if (fail_on_fault && !app.state().internal_errors.empty())
      FAIL(app.state().internal_errors.front().text);
  }
  bool fail_on_fault = true;
  // A click at `at` (left unless `button` says), as the mouse makes it: down for a frame, then up.
  void click(StudioApp& app, ImVec2 at, int button = 0) {
    ImGuiIO& io = ImGui::GetIO();
    io.MousePos = at;
    frame(app);  // hovered first, as a real pointer is
    io.MouseDown[button] = true;
    frame(app);
    io.MouseDown[button] = false;
    frame(app);
  }
  // A press at `from`, the mouse moved to `to` over a few frames, and let go there: a drag.
  void drag(StudioApp& app, ImVec2 from, ImVec2 to) {
    ImGuiIO& io = ImGui::GetIO();
    io.MousePos = from;
    frame(app);
    io.MouseDown[0] = true;
    frame(app);
    for (float t : {0.25f, 0.5f, 0.75f, 1.0f}) {
      io.MousePos = ImVec2(from.x + (to.x - from.x) * t, from.y + (to.y - from.y) * t);
      frame(app);
    }
    io.MouseDown[0] = false;
    frame(app);
  }
  // A Ctrl+click at `at`, which turns a slider into a text field, then `text` typed into it.
  void type_into_slider(StudioApp& app, ImVec2 at, const char* text) {
    ImGui::GetIO().KeyCtrl = true;
    click(app, at);
    ImGui::GetIO().KeyCtrl = false;
    ImGui::GetIO().AddInputCharactersUTF8(text);
    frame(app);
    frame(app);
  }
  // Where the item `label` of `window` is (an item not inside a pushed id): found by moving
  // the mouse down the window, `across` its width (a checkbox is at the left), until ImGui
  // reports that item hovered.
  ImVec2 find_item(StudioApp& app, const char* window, const char* label, float across = 0.6f) {
    const ImGuiWindow* w = ImGui::FindWindowByName(window);
    REQUIRE(w != nullptr);
    const ImGuiID id = ImHashStr(label, 0, w->ID);
    for (float y = w->Pos.y; y < w->Pos.y + w->Size.y; y += 4) {
      const ImVec2 at(w->Pos.x + w->Size.x * across, y);
      ImGui::GetIO().MousePos = at;
      frame(app);
      if (ImGui::GetCurrentContext()->HoveredId == id) return at;
    }
    FAIL("no item " << label << " in " << window);
    return {};
  }
  void press(StudioApp& app, int key, bool ctrl = false) {
    ImGui::GetIO().KeyCtrl = ctrl;
    ImGui::GetIO().KeysDown[key] = true;
    frame(app);
    ImGui::GetIO().KeyCtrl = false;
  }
};

// Runs frames until `done` holds or `seconds` pass; true when it held.
template <class F>
bool frames_until(HeadlessImGui& ui, StudioApp& app, F done, double seconds = 60) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    ui.frame(app);
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

// The worker's next explore result, waited for without a frame (a worker tested on its own).
inline std::optional<ExploreResult> next_result(InferenceWorker& worker, double seconds = 60) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  std::optional<ExploreResult> result;
  while (!(result = worker.take_result()) && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  return result;
}

// A preset's model with one encoder and one decoder block: its shapes, quick to run.
inline MaeConfig one_block_config(const std::string& preset) {
  auto config = find_preset(preset).model;
  config.depth = 1;
  config.dec_depth = 1;
  return config;
}

inline std::string tiny_checkpoint(const std::string& dir) {
  const auto config = one_block_config("fmnist-tiny");
  auto model = make_model(config, 0);
  const auto path = dir + "/tiny.safetensors";
  save_checkpoint(path, model, {}, nullptr, 7, 0.5);
  return path;
}

// No config folder: the tests' apps remember nothing between them (preferences.json).
inline StudioOptions options_with(const std::string& checkpoint) {
  StudioOptions o;
  o.load = checkpoint;
  return o;
}

// Points the app's "save to" at `checkpoint`, with a batch of 8: a run quick enough for a test.
inline void small_runs_saved_to(StudioApp& app, const std::filesystem::path& checkpoint) {
  auto& f = app.state().form;
  std::snprintf(f.save_path, sizeof f.save_path, "%s", checkpoint.c_str());
  f.batch = 8;
}

// The test command installs Fashion-MNIST: a test that needs it fails without it.
inline void require_fashion_mnist() {
  INFO("Fashion-MNIST is not installed in " << fashion_mnist_dir() << " (scripts/setup.sh)");
  REQUIRE(std::filesystem::exists(fashion_mnist_dir()));
}

// The app with no checkpoint, ready to train on Fashion-MNIST.
struct TrainingApp {
  TrainingApp() { require_fashion_mnist(); }
  HeadlessImGui ui;
  MockRenderer renderer;
  StudioApp app{renderer, options_with("")};
};

// A temporary folder with a tiny checkpoint, and the app launched on it.
struct LaunchedApp {
  // The checkpoint opens in the background; tests start once it shows reconstructions.
  explicit LaunchedApp(const std::string& name)
      : dir(make_dir(name)), app(renderer, options_with(tiny_checkpoint(dir.string()))) {
    frames_until(ui, app, [&] { return app.state().explorer.result.has_value(); });
  }
  ~LaunchedApp() { std::filesystem::remove_all(dir); }
  static std::filesystem::path make_dir(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() / name;
    std::filesystem::create_directories(dir);
    return dir;
  }
  std::filesystem::path dir;
  HeadlessImGui ui;
  MockRenderer renderer;
  StudioApp app;
};

}  // namespace mae::studio::testing
