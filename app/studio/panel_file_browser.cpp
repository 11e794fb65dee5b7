// Why: opening files without a native dialog library: a browser that shows only what the
// asking control can open (images, checkpoints or folders), takes a typed path, remembers
// recent places, is walked with the mouse or the keys, and appears next to the control.
#include <imgui.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "file_kinds.h"
#include "io/hf_vitmae.h"
#include "keys.h"
#include "panels.h"
#include "studio_app.h"

namespace mae::studio {

namespace fs = std::filesystem;

void draw_file_browser(StudioApp& app) {
  auto& s = app.state();
  auto& b = s.browser;
  if (!s.show_file_browser) return;
  if (b.dir.empty()) b.dir = fs::current_path().string();
  ImGui::SetNextWindowPos(b.anchor, ImGuiCond_Appearing);
  ImGui::SetNextWindowSize(ImVec2(560, 440), ImGuiCond_Appearing);
  ImGui::SetNextWindowBgAlpha(1.0f);
  const BrowseRequestKind kind = browse_kind(s.file_browser_target);
  ImGui::Begin(kind.title, &s.show_file_browser);
  // A typed path: a folder goes there, anything else is opened.
  if (b.path_field_dir != b.dir) {
    std::snprintf(b.path_field, sizeof b.path_field, "%s", b.dir.c_str());
    b.path_field_dir = b.dir;
  }
  ImGui::SetNextItemWidth(-160);
  if (ImGui::InputText("##path", b.path_field, sizeof b.path_field,
                       ImGuiInputTextFlags_EnterReturnsTrue))
    app.browse_to(b.path_field);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(-1);
  if (ImGui::BeginCombo("##recent", "recent", ImGuiComboFlags_HeightLarge)) {
    for (const auto& place : b.recent)
      if (ImGui::Selectable(place.c_str())) app.browse_to(place);
    if (b.recent.empty()) ImGui::TextDisabled("nothing opened yet");
    ImGui::EndCombo();
  }
  const bool folder_target =
      kind.wants == BrowseWants::Folder || kind.wants == BrowseWants::FolderOrPicture;
  const bool checkpoint_target = kind.wants == BrowseWants::Checkpoint;
  if (folder_target && ImGui::Button("Use this folder")) app.browse_open(b.dir);
  if (checkpoint_target && is_hf_folder(b.dir)) {
    if (ImGui::Button("Open this Hugging Face folder")) app.browse_open(b.dir);
  }
  if (!app.system_dialog_tool().empty()) {
    if (app.system_dialog_running()) {
      ImGui::TextDisabled("waiting for the system dialog (%s)...",
                          app.system_dialog_tool().c_str());
    } else {
      if (folder_target || checkpoint_target) ImGui::SameLine();
      if (ImGui::Button("System dialog...")) app.open_system_dialog();
      if (ImGui::IsItemHovered())
        ImGui::SetTooltip("the desktop's own file chooser (%s)", app.system_dialog_tool().c_str());
    }
  }
  ImGui::TextDisabled("double-click or Enter opens; arrows move; Backspace goes up; Esc closes");
  const std::vector<FolderEntry>& entries = b.listing.entries(b.dir, kind.wants);
  const auto selected_at = std::find_if(entries.begin(), entries.end(),
                                        [&](const auto& e) { return e.path == b.selected; });
  const int selected =
      selected_at == entries.end() ? -1 : static_cast<int>(selected_at - entries.begin());
  ImGui::BeginChild("entries");
  const float row = ImGui::GetTextLineHeightWithSpacing();
  const int page = std::max(1, static_cast<int>(ImGui::GetWindowHeight() / row) - 1);
  // Keys act on the list when the browser has focus and no text field is being typed in.
  const bool keys_for_list = ImGui::IsWindowFocused(ImGuiFocusedFlags_RootAndChildWindows) &&
                             !ImGui::GetIO().WantTextInput;
  int moved_to = -1;
  if (keys_for_list && !entries.empty()) {
    const int last = static_cast<int>(entries.size()) - 1;
    if (ImGui::IsKeyPressed(keys::kDownArrow)) moved_to = std::min(selected + 1, last);
    if (ImGui::IsKeyPressed(keys::kUpArrow))
      moved_to = selected < 0 ? last : std::max(selected - 1, 0);
    if (ImGui::IsKeyPressed(keys::kPageDown))
      moved_to = std::min(std::max(selected, 0) + page, last);
    if (ImGui::IsKeyPressed(keys::kPageUp)) moved_to = std::max(selected - page, 0);
    if (ImGui::IsKeyPressed(keys::kHome, false)) moved_to = 0;
    if (ImGui::IsKeyPressed(keys::kEnd, false)) moved_to = last;
  }
  std::optional<FolderEntry> chosen;  // acted on after the list is drawn
  bool go_up = keys_for_list && ImGui::IsKeyPressed(keys::kBackspace);
  if (ImGui::Selectable("..", false, ImGuiSelectableFlags_AllowDoubleClick) &&
      ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left))
    go_up = true;
  const float list_top = ImGui::GetCursorPosY();
  if (moved_to >= 0) {
    b.selected = entries[static_cast<size_t>(moved_to)].path;
    // Scrolled so the newly selected row shows, at the edge it moved towards.
    const float y = list_top + static_cast<float>(moved_to) * row;
    if (y < ImGui::GetScrollY()) ImGui::SetScrollY(moved_to == 0 ? 0.0f : y);  // ".." too
    if (y + row > ImGui::GetScrollY() + ImGui::GetWindowHeight())
      ImGui::SetScrollY(y + row - ImGui::GetWindowHeight());
  }
  // Only the rows in view are drawn: a folder may hold tens of thousands of pictures.
  ImGuiListClipper clipper;
  clipper.Begin(static_cast<int>(entries.size()), row);
  while (clipper.Step())
    for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
      const FolderEntry& entry = entries[static_cast<size_t>(i)];
      const std::string label = entry.name + (entry.is_dir ? "/" : "") + "##" + std::to_string(i);
      if (ImGui::Selectable(label.c_str(), b.selected == entry.path,
                            ImGuiSelectableFlags_AllowDoubleClick)) {
        b.selected = entry.path;
        if (ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) chosen = entry;
      }
    }
  if (entries.empty()) ImGui::TextDisabled("nothing here that this can open");
  ImGui::EndChild();
  if (keys_for_list && ImGui::IsKeyPressed(keys::kEnter, false) && selected_at != entries.end())
    chosen = *selected_at;
  if (chosen) {
    if (chosen->is_dir)
      app.browse_to(chosen->path);
    else
      app.browse_open(chosen->path);
  } else if (go_up) {
    // Up a level, with the folder just left selected.
    const std::string left = b.dir;
    app.browse_to(fs::path(b.dir).parent_path().string());
    b.selected = left;
  }
  ImGui::End();
}

}  // namespace mae::studio
