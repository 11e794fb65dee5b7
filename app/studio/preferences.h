// Why: a returning user should find the app as they left it: the loss curves' smoothing and
// scale, the folders things were opened from, the explorer's overlays. ImGui keeps the window
// layout (imgui.ini); these are ours, in preferences.json beside it, read at launch and written
// when they change. A damaged file costs the user their preferences, never the launch.
#pragma once

#include <deque>
#include <string>

namespace mae::studio {

struct AppState;

struct Preferences {
  double curve_smoothing = 0.9;
  bool log_scale = false;
  bool explorer_grid = true;
  bool explorer_heat_map = false;
  std::deque<std::string> recent_folders;  // newest first

  bool operator==(const Preferences&) const = default;
};

Preferences preferences_of(const AppState& state);
void apply_preferences(const Preferences& preferences, AppState& state);

// What a preferences file held; a missing file gives the defaults and no problem. A file that
// cannot be read, is not JSON, or holds a value out of place gives a one-line problem naming the
// file; each value that could be read is kept, the others keep their defaults.
struct PreferencesRead {
  Preferences preferences;
  std::string problem;
};
PreferencesRead read_preferences(const std::string& path);

// Replaces the file at once (a crash mid-write leaves the old one); "" or the problem, in one
// line naming the file.
std::string write_preferences(const std::string& path, const Preferences& preferences);

}  // namespace mae::studio
