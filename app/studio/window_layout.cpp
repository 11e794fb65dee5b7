// Why: the panels tile the window and the floating windows sit over them; both must keep
// their arrangement when the app's window is resized (a panel left at its old size either
// hides part of itself off-screen or leaves the rest of the window empty), come back after
// Reset layout, and never open out of reach because a saved layout came from a bigger screen;
// a floating window's title bar stays where it can be grabbed; no window shrinks past the
// point where its controls still show.
#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "panels.h"
#include "studio_app.h"

namespace mae::studio {
namespace {

struct Rect {
  float x, y, w, h;  // fractions of the area the window is laid out in
};

// Below this area the panels are squeezed to ImGui's minimum sizes, so where they are then
// says nothing about where the user wants them: nothing is learnt, and the last arrangement
// returns when the window grows again.
constexpr float kMinLearnWidth = 320, kMinLearnHeight = 200;

bool differs(ImVec2 a, ImVec2 b) { return a.x != b.x || a.y != b.y; }

// A window the user shrinks by an edge or its corner stops where a few controls still show: a
// random-input session left the explorer a 25 px sliver, its text wrapped a letter a line.
// Unless its own place is smaller still (the whole arrangement scaled into a small app
// window), which it keeps, so that the arrangement comes back unchanged when the window grows.
void keep_usable_size(Rect place, ImVec2 area) {
  const ImVec2 usable(12 * ImGui::GetFontSize(), 6 * ImGui::GetFrameHeight());
  ImGui::SetNextWindowSizeConstraints(
      ImVec2(std::min(usable.x, place.w * area.x), std::min(usable.y, place.h * area.y)),
      ImVec2(FLT_MAX, FLT_MAX));
}

// Sets the next window's place, in pixels of `area` (which starts at the top left):
// `fallback` on first use and after Reset layout, and also when `keep_inside` and the window
// lies outside the area; the place it was learnt at, scaled, when the area is not the one
// it was last drawn in. Returns whether it moved the window this frame.
bool place_next_window(StudioApp& app, const char* title, Rect fallback, ImVec2 area,
                       bool keep_inside) {
  const WindowPlace& learnt = app.state().window_places[title];
  const bool has_learnt_place = learnt.area.x > 0;
  const Rect learnt_place{learnt.pos.x, learnt.pos.y, learnt.size.x, learnt.size.y};
  keep_usable_size(has_learnt_place && !app.state().reset_layout ? learnt_place : fallback, area);
  Rect target = fallback;
  ImGuiCond cond = ImGuiCond_FirstUseEver;
  if (app.state().reset_layout) {
    cond = ImGuiCond_Always;
  } else if (has_learnt_place && differs(learnt.drawn_in, area)) {
    target = learnt_place;
    cond = ImGuiCond_Always;
  } else if (const ImGuiWindow* w = ImGui::FindWindowByName(title); w && keep_inside) {
    if (w->Pos.x + w->SizeFull.x > area.x + 1 || w->Pos.y + w->SizeFull.y > area.y + 1 ||
        w->Pos.x < -1 || w->Pos.y < -1)
      cond = ImGuiCond_Always;
  }
  ImGui::SetNextWindowPos(ImVec2(target.x * area.x, target.y * area.y), cond);
  ImGui::SetNextWindowSize(ImVec2(target.w * area.x, target.h * area.y), cond);
  if (app.state().reset_layout) ImGui::SetNextWindowCollapsed(false);  // back, and open
  return cond == ImGuiCond_Always;
}

// A floating window may hang off the screen, but not by its title bar, which moves, collapses
// and closes it: dragged above the top, down behind the status bar, or nearly out at a side,
// it comes back to where the bar can be grabbed.
void keep_title_bar_reachable(const char* title, ImVec2 area) {
  const ImGuiWindow* w = ImGui::FindWindowByName(title);
  if (!w) return;
  const float bar = ImGui::GetFrameHeight();
  const float grip = 4 * bar;  // of the title bar left in view, to grab
  const ImVec2 pos(std::clamp(w->Pos.x, grip - w->SizeFull.x, std::max(0.0f, area.x - grip)),
                   std::clamp(w->Pos.y, 0.0f, std::max(0.0f, area.y - status_bar_height() - bar)));
  if (differs(pos, w->Pos)) ImGui::SetNextWindowPos(pos, ImGuiCond_Always);
}

// Remembers where the current window is, when the user has moved or resized it, while the
// area is big enough to mean something. A window still where its fractions put it (give or
// take ImGui's rounding to whole pixels) keeps them as they are, so that many resizes in a
// row (a window edge dragged) add up no rounding.
void learn_place(StudioApp& app, const char* title, ImVec2 area) {
  WindowPlace& place = app.state().window_places[title];
  place.drawn_in = area;
  if (area.x < kMinLearnWidth || area.y < kMinLearnHeight) return;
  const ImGuiWindow* w = ImGui::GetCurrentWindow();
  const auto near = [](float pixels, float fraction, float length) {
    return std::abs(pixels - fraction * length) <= 1.0f;
  };
  const bool as_placed = place.area.x > 0 && near(w->Pos.x, place.pos.x, area.x) &&
                         near(w->Pos.y, place.pos.y, area.y) &&
                         near(w->SizeFull.x, place.size.x, area.x) &&
                         near(w->SizeFull.y, place.size.y, area.y);
  if (!as_placed) {
    place.pos = ImVec2(w->Pos.x / area.x, w->Pos.y / area.y);
    place.size = ImVec2(w->SizeFull.x / area.x, w->SizeFull.y / area.y);
  }
  place.area = area;
}

}  // namespace

float status_bar_height() { return ImGui::GetFrameHeight() + 8; }

void keep_status_bar_on_top() {
  // Not over an open popup (a combo's list, a dialog): that came to the front as it opened.
  if (ImGui::IsPopupOpen("", ImGuiPopupFlags_AnyPopupId | ImGuiPopupFlags_AnyPopupLevel)) return;
  if (ImGuiWindow* bar = ImGui::FindWindowByName(kStatusBarWindow))
    ImGui::BringWindowToDisplayFront(bar);
}

bool begin_panel(StudioApp& app, Panel panel, const char* title) {
  // Left column: Training over Checkpoint; middle: Live triplets over Curves; right: explorer.
  static constexpr Rect kDefaults[] = {{0.0f, 0.0f, 0.22f, 0.6f},
                                       {0.0f, 0.6f, 0.22f, 0.4f},
                                       {0.22f, 0.0f, 0.34f, 0.62f},
                                       {0.22f, 0.62f, 0.34f, 0.38f},
                                       {0.56f, 0.0f, 0.44f, 1.0f}};
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  const ImVec2 area(display.x, display.y - status_bar_height());
  place_next_window(app, title, kDefaults[static_cast<int>(panel)], area, /*keep_inside=*/true);
  ImGui::SetNextWindowBgAlpha(1.0f);
  const bool open = ImGui::Begin(title, nullptr, ImGuiWindowFlags_NoBringToFrontOnFocus);
  learn_place(app, title, area);
  if (!open) ImGui::End();
  return open;
}

bool begin_floating_window(StudioApp& app, const char* title, bool* open, float x, float y,
                           float width, float height) {
  const ImVec2 area = ImGui::GetIO().DisplaySize;
  if (!place_next_window(app, title, {x, y, width, height}, area, /*keep_inside=*/false))
    keep_title_bar_reachable(title, area);
  ImGui::SetNextWindowBgAlpha(1.0f);  // nothing of the panels below may show through
  const bool expanded = ImGui::Begin(title, open);
  learn_place(app, title, area);
  if (!expanded) ImGui::End();
  return expanded;
}

}  // namespace mae::studio
