// Why: the window's arrangement survives what a user's mouse does to it: resizing, dragging
// windows out of reach or over the status bar, shrinking them by a corner, typed slider
// values, and pictures that must fit their panel at common screen sizes.
#include <doctest/doctest.h>
#include <imgui.h>
#include <imgui_internal.h>

#include <cmath>
#include <map>

#include "panels.h"
#include "studio_app.h"
#include "studio_harness.h"

using namespace mae;
using namespace mae::studio;
using namespace mae::studio::testing;

namespace {
// True when every main panel lies inside the window above the status bar.
bool panels_fit(ImVec2 display) {
  for (const char* name :
       {"Training", "Checkpoint", "Live triplets", "Curves", "Masking explorer"}) {
    const ImGuiWindow* w = ImGui::FindWindowByName(name);
    if (!w) return false;
    if (w->Pos.x < -1 || w->Pos.y < -1 || w->Pos.x + w->Size.x > display.x + 1 ||
        w->Pos.y + w->Size.y > display.y - ImGui::GetFrameHeight() - 8 + 1) {
      MESSAGE(name << " at " << w->Pos.x << "," << w->Pos.y << " size " << w->Size.x << "x"
                   << w->Size.y << " does not fit " << display.x << "x" << display.y);
      return false;
    }
  }
  return true;
}
}  // namespace

TEST_CASE("layout: panels fit at 1280x720, follow a smaller window, and reset on request") {
  LaunchedApp launched("mae-studio-test-layout");
  auto& [dir, ui, renderer, app] = launched;
  CHECK(panels_fit(ImVec2(1600, 1000)));
  // A user's arrangement that fits is kept.
  ImGui::SetWindowPos("Curves", ImVec2(400, 300));
  ui.frame(app);
  CHECK(ImGui::FindWindowByName("Curves")->Pos.x == 400);
  // The window shrinks to 1280x720: whatever no longer fits is laid out again.
  ImGui::GetIO().DisplaySize = ImVec2(1280, 720);
  ui.frame(app);
  ui.frame(app);
  CHECK(panels_fit(ImVec2(1280, 720)));
  // Reset layout puts every panel back, the moved one included, and opens a collapsed one.
  // Clicked, as a user does: the button draws after the panels, and its first version
  // reset nothing, because the request was cleared before the next frame's panels saw it.
  ImGui::SetWindowPos("Training", ImVec2(100, 50));
  ImGui::SetWindowCollapsed("Live triplets", true);
  ui.frame(app);
  const ImGuiWindow* status = ImGui::FindWindowByName("##status");
  REQUIRE(status != nullptr);
  ui.click(app, ImVec2(status->Pos.x + status->Size.x - 40, status->Pos.y + status->Size.y / 2));
  ui.frame(app);
  CHECK(ImGui::FindWindowByName("Training")->Pos.x == 0);
  CHECK_FALSE(ImGui::FindWindowByName("Live triplets")->Collapsed);
  CHECK(panels_fit(ImVec2(1280, 720)));
  ImGui::GetIO().DisplaySize = ImVec2(1600, 1000);
}

namespace {
struct PlacedRect {
  float x, y, w, h;
};
PlacedRect rect_of(const char* name) {
  const ImGuiWindow* w = ImGui::FindWindowByName(name);
  REQUIRE(w != nullptr);
  return {w->Pos.x, w->Pos.y, w->SizeFull.x, w->SizeFull.y};
}
}  // namespace

TEST_CASE("layout: a window dragged over the status bar leaves Reset layout on top") {
  // A random-input session left the Compare window over the status bar's right end, and with
  // it the one button that puts every window back out of reach.
  LaunchedApp launched("mae-studio-test-status-on-top");
  auto& [dir, ui, renderer, app] = launched;
  app.state().compare.show = true;
  ui.frame(app);
  ui.frame(app);
  ImGui::SetWindowPos("Compare checkpoints", ImVec2(1600 - 320, 1000 - 240));
  ui.frame(app);
  const PlacedRect compare = rect_of("Compare checkpoints");
  ui.click(app, ImVec2(compare.x + 40, compare.y + 60));  // focused, so brought to the front
  const ImGuiWindow* status = ImGui::FindWindowByName(kStatusBarWindow);
  REQUIRE(status != nullptr);
  const ImVec2 button(status->Pos.x + status->Size.x - 40, status->Pos.y + status->Size.y / 2);
  REQUIRE(button.x > compare.x);
  REQUIRE(button.y < compare.y + compare.h);  // the window covers the button's place
  ui.click(app, button);
  ui.frame(app);
  CHECK(rect_of("Compare checkpoints").x == doctest::Approx(0.2 * 1600).epsilon(0.01));
}

TEST_CASE("layout: a floating window's title bar comes back when dragged out of reach") {
  // Dragged above the top of the screen, a floating window could no longer be moved by its
  // title bar, collapsed or closed.
  LaunchedApp launched("mae-studio-test-title-bar");
  auto& [dir, ui, renderer, app] = launched;
  app.state().compare.show = true;
  ui.frame(app);
  const float bar = ImGui::GetFrameHeight();
  const float width = rect_of("Compare checkpoints").w;
  const struct {
    ImVec2 dragged_to, comes_back_to;
  } cases[] = {{ImVec2(300, -120), ImVec2(300, 0)},
               {ImVec2(300, 990), ImVec2(300, 1000 - (bar + 8) - bar)},  // above the status bar
               {ImVec2(1590, 200), ImVec2(1600 - 4 * bar, 200)},         // four bars' width in view
               {ImVec2(-5000, 200), ImVec2(4 * bar - width, 200)},
               {ImVec2(-100, 200), ImVec2(-100, 200)}};  // half off to the left is fine
  for (const auto& c : cases) {
    CAPTURE(c.dragged_to.x);
    CAPTURE(c.dragged_to.y);
    ImGui::SetWindowPos("Compare checkpoints", c.dragged_to);
    ui.frame(app);
    ui.frame(app);
    const PlacedRect compare = rect_of("Compare checkpoints");
    CHECK(compare.x == doctest::Approx(c.comes_back_to.x));
    CHECK(compare.y == doctest::Approx(c.comes_back_to.y));
  }
}

TEST_CASE("layout: a window shrunk by its corner stops where a few controls still show") {
  // A random-input session left the explorer a 25 px sliver, its text a letter a line.
  LaunchedApp launched("mae-studio-test-least-size");
  auto& [dir, ui, renderer, app] = launched;
  app.state().compare.show = true;
  ui.frame(app);
  ui.frame(app);
  const float least_w = 12 * ImGui::GetFontSize(), least_h = 6 * ImGui::GetFrameHeight();
  for (const char* name : {"Masking explorer", "Compare checkpoints", "Curves"}) {
    CAPTURE(name);
    const PlacedRect before = rect_of(name);
    REQUIRE(before.w > least_w + 40);
    // Its corner a little way in: it shrinks as asked.
    const ImVec2 corner(before.x + before.w - 3, before.y + before.h - 3);
    ui.drag(app, corner, ImVec2(corner.x - 20, corner.y - 10));
    const PlacedRect shrunk = rect_of(name);
    CHECK(shrunk.w == doctest::Approx(before.w - 20).epsilon(0.01));
    CHECK(shrunk.h == doctest::Approx(before.h - 10).epsilon(0.01));
    // All the way up to its title bar: it stops at the least usable size.
    const ImVec2 now(shrunk.x + shrunk.w - 3, shrunk.y + shrunk.h - 3);
    ui.drag(app, now, ImVec2(shrunk.x + 5, shrunk.y + 5));
    const PlacedRect least = rect_of(name);
    CHECK(least.w >= least_w - 1);
    CHECK(least.h >= least_h - 1);
    CHECK(least.w < shrunk.w);
  }
  // Reset layout gives them back their sizes.
  app.reset_layout();
  ui.frame(app);
  CHECK(rect_of("Masking explorer").w == doctest::Approx(0.44 * 1600).epsilon(0.01));
}

TEST_CASE("layout: a resized window keeps the arrangement, scaled, even through a tiny size") {
  // Panels used to keep their pixel sizes when the window grew (leaving the rest empty),
  // and after the window had been very small they stayed squeezed to ImGui's minimum.
  LaunchedApp launched("mae-studio-test-resize");
  auto& [dir, ui, renderer, app] = launched;
  app.state().compare.show = true;
  ui.frame(app);
  ImGui::SetWindowPos("Curves", ImVec2(400, 300));
  ImGui::SetWindowSize("Curves", ImVec2(500, 300));
  ImGui::SetWindowPos("Compare checkpoints", ImVec2(800, 100));
  ui.frame(app);
  const char* kWindows[] = {"Training", "Checkpoint",       "Live triplets",
                            "Curves",   "Masking explorer", "Compare checkpoints"};
  std::map<std::string, PlacedRect> before;
  for (const char* name : kWindows) before[name] = rect_of(name);
  const float bar = ImGui::GetFrameHeight() + 8;  // the status bar, below the panels
  ImGui::GetIO().DisplaySize = ImVec2(800, 600);
  ui.frame(app);
  const PlacedRect curves = rect_of("Curves");
  CHECK(curves.x == doctest::Approx(200).epsilon(0.01));
  CHECK(curves.y == doctest::Approx(300 * (600 - bar) / (1000 - bar)).epsilon(0.01));
  CHECK(curves.w == doctest::Approx(250).epsilon(0.01));
  CHECK(rect_of("Compare checkpoints").x == doctest::Approx(400).epsilon(0.01));
  CHECK(panels_fit(ImVec2(800, 600)));
  // An edge dragged in and out a pixel count at a time, then the window nearly closed and
  // back: everything returns where it was, with no rounding added up on the way.
  for (float width = 800; width <= 1600; width += 37) {
    ImGui::GetIO().DisplaySize = ImVec2(width, 600 + (width - 800) / 2);
    ui.frame(app);
  }
  for (const ImVec2 size :
       {ImVec2(1600, 1000), ImVec2(60, 40), ImVec2(300, 200), ImVec2(1, 1), ImVec2(1600, 1000)}) {
    ImGui::GetIO().DisplaySize = size;
    ui.frame(app);
    ui.frame(app);
  }
  for (const std::string name : kWindows) {
    CAPTURE(name);
    const PlacedRect now = rect_of(name.c_str()), then = before[name];
    CHECK(std::abs(now.x - then.x) <= 1.5f);
    CHECK(std::abs(now.y - then.y) <= 1.5f);
    CHECK(std::abs(now.w - then.w) <= 1.5f);
    CHECK(std::abs(now.h - then.h) <= 1.5f);
  }
  // Reset layout brings the floating window back to its first place too.
  app.reset_layout();
  ui.frame(app);
  CHECK(rect_of("Compare checkpoints").x == doctest::Approx(0.2 * 1600).epsilon(0.01));
  CHECK(rect_of("Curves").x == doctest::Approx(0.22 * 1600).epsilon(0.01));
}

namespace {
// True when no window's content reaches past its right edge (a label or button cut off).
bool nothing_cut_off_at_the_right(std::initializer_list<const char*> windows = {
                                      "Training", "Checkpoint", "Live triplets", "Curves",
                                      "Masking explorer"}) {
  bool fits = true;
  for (const char* name : windows) {
    const ImGuiWindow* w = ImGui::FindWindowByName(name);
    REQUIRE(w != nullptr);
    const float room = w->ContentRegionRect.GetWidth();
    if (w->ContentSize.x > room + 1) {
      MESSAGE(std::string(name) << ": content " << w->ContentSize.x << " px wide in " << room
                                << " px");
      fits = false;
    }
  }
  return fits;
}
}  // namespace

TEST_CASE("layout: at 1280x720 and 1024x768 no panel or window is cut off at its right edge") {
  require_fashion_mnist();
  LaunchedApp launched("mae-studio-test-cut-off");
  auto& [dir, ui, renderer, app] = launched;
  auto& s = app.state();
  app.show_attention(true);  // the widest explorer: its attention controls and map
  s.form.batch = 16;
  s.form.steps = 1000;
  for (const ImVec2 size : {ImVec2(1280, 720), ImVec2(1024, 768)}) {
    CAPTURE(size.x);
    ImGui::GetIO().DisplaySize = size;
    for (int i = 0; i < 4; ++i) ui.frame(app);  // laid out again, then measured
    CHECK(nothing_cut_off_at_the_right());
    app.start_training();  // Pause, Stop and "(running)" make the buttons' row longer
    REQUIRE(frames_until(ui, app, [&] { return app.run_state() == SessionState::Running; }));
    for (int i = 0; i < 2; ++i) ui.frame(app);
    CHECK(nothing_cut_off_at_the_right());
    // The windows the panels open, at their first size.
    s.compare.show = s.experiments.show = s.probe.show = true;
    app.show_step_through(true);
    for (int i = 0; i < 3; ++i) ui.frame(app);
    CHECK(nothing_cut_off_at_the_right(
        {"Compare checkpoints", "Experiments: masking ratio", "Probe", "Step-through"}));
    s.compare.show = s.experiments.show = s.probe.show = false;
    app.show_step_through(false);
    app.stop_training();
    REQUIRE(frames_until(ui, app, [&] { return app.run_state() == SessionState::Stopped; }));
  }
  ImGui::GetIO().DisplaySize = ImVec2(1600, 1000);
}

TEST_CASE("layout: the explorer's pictures and ratio sweep fit its panel without scrolling") {
  // The two large pictures took half the panel's width whatever its height, which pushed the
  // ratio sweep below the panel's bottom at 1600x1000 and 1280x800.
  // With attention shown, the map sat beside the small pictures, two of them wide: the large
  // ones shrank to the small ones' size and the panel scrolled. It is a third large picture now.
  LaunchedApp launched("mae-studio-test-explorer-fits");
  auto& [dir, ui, renderer, app] = launched;
  const auto& e = app.state().explorer;
  for (const bool attention : {false, true}) {
    app.show_attention(attention);
    for (const ImVec2 size : {ImVec2(1600, 1000), ImVec2(1280, 800), ImVec2(1024, 768)}) {
      CAPTURE(attention);
      CAPTURE(size.x);
      ImGui::GetIO().DisplaySize = size;
      REQUIRE(frames_until(ui, app, [&] {
        return e.result && !e.result->sweep.empty() && (!attention || e.result->attention);
      }));
      for (int i = 0; i < 3; ++i) ui.frame(app);
      const ImGuiWindow* w = ImGui::FindWindowByName("Masking explorer");
      REQUIRE(w != nullptr);
      CHECK(w->ScrollMax.y == 0);
      // ... and not by shrinking the large pictures below the small ones.
      const float small = (w->ContentRegionRect.GetWidth() - 24) / 4;
      CHECK(e.masked_view_rect[2] >= small);
      // At 1600x1000 there is room for more than that, with the map or without.
      if (size.x == 1600) CHECK(e.masked_view_rect[2] > 1.1f * small);
    }
  }
  app.show_attention(false);
  ImGui::GetIO().DisplaySize = ImVec2(1600, 1000);
}

TEST_CASE("layout: the explorer's pictures settle at one size, with attention or without") {
  // Their size depends on the room left below them, which depended on whether the panel's
  // scrollbar was shown, which depended on their size: at 128 of 780 window sizes tried, the
  // pictures flickered between two sizes every frame.
  LaunchedApp launched("mae-studio-test-explorer-settles");
  auto& [dir, ui, renderer, app] = launched;
  auto& e = app.state().explorer;
  int flickering = 0;
  for (const bool attention : {false, true}) {
    app.show_attention(attention);
    for (const float width : {1024.0f, 1280.0f, 1600.0f}) {
      for (float height = 600; height <= 1200; height += 20) {
        ImGui::GetIO().DisplaySize = ImVec2(width, height);
        REQUIRE(frames_until(ui, app, [&] {
          return e.result && !e.dirty && e.result->extras_done &&
                 (!attention || e.result->attention);
        }));
        for (int i = 0; i < 3; ++i) ui.frame(app);
        float sizes[3];
        for (float& size : sizes) {
          ui.frame(app);
          size = e.masked_view_rect[2];
        }
        if (sizes[0] != sizes[1] || sizes[1] != sizes[2]) {
          MESSAGE("attention " << attention << " at " << width << "x" << height << ": " << sizes[0]
                               << ", " << sizes[1] << ", " << sizes[2] << " px");
          ++flickering;
        }
      }
    }
  }
  CHECK(flickering == 0);
  ImGui::GetIO().DisplaySize = ImVec2(1600, 1000);
}

TEST_CASE("layout: a floating window stays above the panels when a panel is clicked") {
  // Panels used to come to the front when clicked and cover the window their own button had
  // opened; pressing the button again then showed nothing. They were also slightly
  // transparent, so a window behind one showed through its text.
  LaunchedApp launched("mae-studio-test-z-order");
  auto& [dir, ui, renderer, app] = launched;
  app.state().compare.show = true;
  ui.frame(app);
  const auto depth = [](const char* name) {  // higher is nearer the front
    const auto& windows = ImGui::GetCurrentContext()->Windows;
    for (int i = 0; i < windows.Size; ++i)
      if (std::string(windows[i]->Name) == name) return i;
    return -1;
  };
  for (const char* panel : {"Masking explorer", "Training", "Live triplets"}) {
    ImGui::SetWindowFocus(panel);
    ui.frame(app);
    CHECK(depth("Compare checkpoints") > depth(panel));
  }
}
