// Why: the small windows around the panels: the status bar, F1 help, and the close
// confirmation.
#include <imgui.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "keys.h"
#include "panels.h"
#include "studio_app.h"

namespace mae::studio {

void draw_status_bar(StudioApp& app) {
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  const float height = status_bar_height();
  ImGui::SetNextWindowPos(ImVec2(0, display.y - height));
  ImGui::SetNextWindowSize(ImVec2(display.x, height));
  ImGui::Begin(kStatusBarWindow, nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                   ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoFocusOnAppearing);
  const auto& s = app.state();
  const auto& m = s.last_metrics;
  // A message stays for a while, then gives way (the log in the Checkpoint panel keeps it).
  const bool fresh = std::chrono::steady_clock::now() - s.status_time < std::chrono::seconds(10);
  const std::string status = fresh && !s.status.empty() ? "  |  " + s.status : "";
  // A watched run is the run on screen; the app's own trainer is idle meanwhile.
  const std::string state =
      s.watch ? "watching: " + to_string(s.watch->run.state) : to_string(app.run_state());
  char line[160];
  if (s.have_metrics)
    std::snprintf(line, sizeof line, "[%s] step %lld  %.0f img/s  |  F1 help", state.c_str(),
                  static_cast<long long>(m.step), m.images_per_sec);
  else
    std::snprintf(line, sizeof line, "[%s]  |  F1 help", state.c_str());
  const std::string text = line + status;
  // The button keeps its place at the right; a line too long for the rest is cut short
  // there, and shown whole while hovered.
  const float button_x = ImGui::GetWindowWidth() - ImGui::CalcTextSize("Reset layout").x - 24;
  const ImVec2 text_min = ImGui::GetCursorScreenPos();
  const float text_room = button_x - ImGui::GetStyle().ItemSpacing.x - ImGui::GetCursorPosX();
  ImGui::PushClipRect(text_min, ImVec2(text_min.x + text_room, text_min.y + height), true);
  ImGui::TextUnformatted(text.c_str());
  ImGui::PopClipRect();
  if (ImGui::CalcTextSize(text.c_str()).x > text_room && ImGui::IsItemHovered())
    ImGui::SetTooltip("%s", text.c_str());
  ImGui::SameLine(button_x);
  if (ImGui::SmallButton("Reset layout")) app.reset_layout();
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("every panel and window back to its place for this window size");
  ImGui::End();
}

void draw_help_window(StudioApp& app) {
  auto& s = app.state();
  if (!s.show_help) return;
  ImGui::SetNextWindowPos(ImVec2(ImGui::GetIO().DisplaySize.x * 0.3f, 80), ImGuiCond_Appearing);
  ImGui::SetNextWindowBgAlpha(1.0f);
  ImGui::Begin("Help", &s.show_help, ImGuiWindowFlags_AlwaysAutoResize);
  ImGui::TextUnformatted(
      "Space     pause / resume training\n"
      "Ctrl+S    save the training run (to the Training panel's 'save to' path)\n"
      "Ctrl+O    open a checkpoint\n"
      "R         re-roll the explorer's mask seed\n"
      "Ctrl+Z    undo the last paint stroke or re-roll of a painted mask\n"
      "F1        this help\n"
      "Esc       closes what is on top: a dropdown or menu, the file browser, this help\n"
      "Left/Right  previous / next stage in the Step-through window\n"
      "Up/Down, Page Up/Down, Home/End, Enter, Backspace  walk the file browser\n\n"
      "Drop an image on the window to explore it; a checkpoint (.safetensors, the\n"
      "authors' .pth or a Hugging Face folder) to open it; a run folder of mae train,\n"
      "or its metrics.jsonl, to watch it; a sweep's folder (mae sweep --out) to show it\n"
      "in Experiments; any other folder to train on it. Right-click any image, the\n"
      "curves or Experiments' loss plot to export it as PNG.\n"
      "Drag across the curves (or Experiments' loss plot) to zoom to those steps, or\n"
      "turn the wheel over them (a zoom to the newest steps follows the run);\n"
      "double-click shows every step again.\n"
      "Click or drag on the explorer's masked image to mask / unmask patches;\n"
      "hover its reconstruction or attention map for a patch's numbers, and a\n"
      "Step-through picture for its pixel, patch or token.");
  ImGui::Separator();
  ImGui::TextUnformatted(
      "What you see\n"
      "  masking ratio   the fraction of image patches removed before the encoder. The\n"
      "                  encoder sees only the rest; the decoder must paint the removed ones.\n"
      "                  The paper trains at 75 %: hard enough that copying neighbours fails.\n"
      "  masked          the input with removed patches grey (the model's mean colour) or tinted\n"
      "  reconstruction  the decoder's prediction for every patch, visible ones included\n"
      "  + visible       the prediction with the visible patches pasted back (tinted where\n"
      "                  predicted): the picture the model 'completes'\n"
      "  original        what the model receives (resized, centre-cropped, its channels)\n"
      "  MSE             mean squared error over removed patches only, in normalised pixels\n"
      "                  (per-patch normalised for norm_pix models); mean fill scores ~2.3 on\n"
      "                  Fashion-MNIST at 75 %, the shipped model ~0.5\n"
      "  heat map        per-patch error: blue = small, through red, to yellow = large\n"
      "  norm_pix_loss   the target of each patch is normalised by its own mean and spread,\n"
      "                  which the paper found gives better features\n"
      "  base lr         the learning rate per 256 images: lr = base lr x batch / 256\n"
      "  curves          the run's loss, smoothed (a moving average; its weight on the slider),\n"
      "                  and lr; the session's earlier runs in colours of their own, each named\n"
      "                  by how its recipe differed ('ratio 0.75'); each run's curve is also\n"
      "                  written beside its checkpoint (metrics.jsonl): watch that folder\n"
      "                  (Training -> Watch run...) to see it again later, or to follow mae\n"
      "                  train or one ratio of a sweep (runs/sweep/ratio-0.75); a folder that\n"
      "                  another window or mae train is training in is never shared: this\n"
      "                  window's run goes to '<folder>-2' and says so\n"
      "  probe           how well a linear classifier (and a k-NN vote) reads the classes from\n"
      "                  the frozen encoder's features: above a random encoder of the same shape\n"
      "                  is what training added");
  ImGui::End();
}

void draw_close_dialog(StudioApp& app) {
  auto& s = app.state();
  if (s.confirm_close) {
    ImGui::OpenPopup("Close MAE Studio?");
    s.confirm_close = false;
  }
  if (!ImGui::BeginPopupModal("Close MAE Studio?", nullptr, ImGuiWindowFlags_AlwaysAutoResize))
    return;
  if (app.training_active())
    ImGui::TextUnformatted("Training is running. Save the run before closing?");
  else
    ImGui::Text("%lld trained steps are not saved. Save them before closing?",
                static_cast<long long>(app.unsaved_steps()));
  ImGui::SetNextItemWidth(360);
  ImGui::InputText("save to", s.form.save_path, sizeof s.form.save_path);
  if (ImGui::Button("Save and quit")) {
    app.save_checkpoint(app.default_save_path());
    s.quit = true;
    ImGui::CloseCurrentPopup();
  }
  ImGui::SameLine();
  if (ImGui::Button("Quit without saving")) {
    s.quit = true;
    ImGui::CloseCurrentPopup();
  }
  ImGui::SameLine();
  if (ImGui::Button("Cancel") || ImGui::IsKeyPressed(keys::kEscape, false))
    ImGui::CloseCurrentPopup();
  ImGui::EndPopup();
}

}  // namespace mae::studio
