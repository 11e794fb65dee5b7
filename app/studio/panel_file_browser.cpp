// Why: opening files without a native dialog library: a browser that shows only what the
// asking control can open (images, checkpoints or folders), takes a typed path, remembers
// recent places, opens on double-click or Enter, and appears next to the control.
#include <imgui.h>

#include <algorithm>
#include <filesystem>

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
  ImGui::TextDisabled("double-click or Enter opens; Esc closes");
  ImGui::BeginChild("entries");
  if (ImGui::Selectable("..", false, ImGuiSelectableFlags_AllowDoubleClick) &&
      ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left))
    app.browse_to(fs::path(b.dir).parent_path().string());
  std::vector<fs::directory_entry> entries;
  std::error_code ec;
  for (fs::directory_iterator it(b.dir, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    const bool is_dir = it->is_directory(ec);
    if (is_dir || openable_file(it->path().string(), kind.wants)) entries.push_back(*it);
  }
  std::sort(entries.begin(), entries.end(), [&](const auto& a, const auto& c) {
    const bool da = a.is_directory(ec), dc = c.is_directory(ec);
    return da != dc ? da : a.path().filename() < c.path().filename();
  });
  for (const auto& entry : entries) {
    const bool is_dir = entry.is_directory(ec);
    const std::string path = entry.path().string();
    const std::string name = entry.path().filename().string() + (is_dir ? "/" : "");
    if (ImGui::Selectable(name.c_str(), b.selected == path,
                          ImGuiSelectableFlags_AllowDoubleClick)) {
      b.selected = path;
      if (ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) {
        if (is_dir)
          app.browse_to(path);
        else
          app.browse_open(path);
        break;
      }
    }
  }
  if (entries.empty()) ImGui::TextDisabled("nothing here that this can open");
  ImGui::EndChild();
  if (!b.selected.empty() && ImGui::IsWindowFocused(ImGuiFocusedFlags_RootAndChildWindows) &&
      !ImGui::GetIO().WantTextInput && ImGui::IsKeyPressed(keys::kEnter, false)) {
    if (fs::is_directory(b.selected, ec))
      app.browse_to(b.selected);
    else
      app.browse_open(b.selected);
  }
  ImGui::End();
}

}  // namespace mae::studio
