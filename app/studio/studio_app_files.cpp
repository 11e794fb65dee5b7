// Why: the StudioApp actions that choose files: drops on the window, the in-app file browser
// and the desktop's file chooser, each routing a path to the action it is for. Kept apart
// from the core actions of loading, exploring and training in studio_app.cpp.
#include <imgui.h>

#include <algorithm>
#include <filesystem>

#include "data/image_folder.h"
#include "file_kinds.h"
#include "io/hf_vitmae.h"
#include "studio_app.h"

namespace mae::studio {

void StudioApp::handle_drop(const std::vector<std::string>& paths) {
  for (const auto& p : paths) {
    std::error_code ec;
    if (is_hf_folder(p))
      open_checkpoint(p);
    else if (std::filesystem::exists(std::filesystem::path(p) / "metrics.jsonl", ec))
      watch_run(p);
    else if (std::filesystem::exists(std::filesystem::path(p) / "sweep.json", ec))
      open_sweep(p);
    else if (std::filesystem::path(p).filename() == "sweep.json")
      open_sweep(std::filesystem::path(p).parent_path().string());
    else if (std::filesystem::path(p).filename() == "metrics.jsonl")  // the run's curve itself
      watch_run(std::filesystem::path(p).parent_path().string());
    else if (std::filesystem::is_directory(p, ec))
      set_training_data(p);
    else if (has_checkpoint_extension(p))
      open_checkpoint(p);
    else
      open_image(p);
  }
}

void StudioApp::open_file_browser(BrowseTarget target) {
  state_.show_file_browser = true;
  state_.file_browser_target = target;
  // Next to the control that asked (the mouse is on it), kept inside the window.
  const ImVec2 mouse = ImGui::GetIO().MousePos, display = ImGui::GetIO().DisplaySize;
  state_.browser.anchor = ImVec2(std::clamp(mouse.x, 0.0f, std::max(0.0f, display.x - 570)),
                                 std::clamp(mouse.y, 0.0f, std::max(0.0f, display.y - 470)));
  state_.browser.selected.clear();
}

void StudioApp::browse_to(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    state_.browser.dir = std::filesystem::absolute(path, ec).lexically_normal().string();
    state_.browser.selected.clear();
  } else if (std::filesystem::exists(path, ec)) {
    browse_open(path);
  } else {
    message("no such file or folder: " + path);
  }
}

void StudioApp::open_system_dialog() {
  SystemDialogRequest request;
  request.start_dir = state_.browser.dir;
  const BrowseRequestKind kind = browse_kind(state_.file_browser_target);
  request.title = kind.title;
  switch (kind.wants) {
    case BrowseWants::Checkpoint:
      request.filter_name = "Checkpoints";
      request.patterns = glob_patterns(checkpoint_extensions());
      break;
    case BrowseWants::Picture:
      request.filter_name = "Images";
      request.patterns = glob_patterns(image_extensions());
      break;
    case BrowseWants::Folder:
      request.folders = true;
      break;
    case BrowseWants::FolderOrPicture:
      request.folders = true;
      request.title = kind.folder_chooser_title;
      break;
  }
  std::string error;
  if (!system_dialog_.start(request, &error)) message(error);
}

void StudioApp::browse_open(const std::string& path) {
  auto& b = state_.browser;
  std::error_code ec;
  const auto folder = std::filesystem::is_directory(path, ec)
                          ? path
                          : std::filesystem::path(path).parent_path().string();
  std::erase(b.recent, folder);
  b.recent.push_front(folder);
  if (b.recent.size() > 8) b.recent.pop_back();
  switch (state_.file_browser_target) {
    case BrowseTarget::Checkpoint:
      open_checkpoint(path);
      break;
    case BrowseTarget::ExplorerImage:
      open_image(path);
      break;
    case BrowseTarget::TrainingData:
      set_training_data(path);
      break;
    case BrowseTarget::CompareCheckpoint:
      open_compare_checkpoint(path);
      break;
    case BrowseTarget::RunFolder:
      watch_run(path);
      break;
  }
  state_.show_file_browser = false;
}

}  // namespace mae::studio
