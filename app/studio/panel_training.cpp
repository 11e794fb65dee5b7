// Why: the Training panel: data source, preset and hyper-parameters, device, and the run
// buttons with a progress bar (ETA, images/s, step time, memory).
#include <imgui.h>

#include <cstdio>

#include "model/presets.h"
#include "panels.h"
#include "studio_app.h"
#include "train/device.h"
#include "util/format_duration.h"

namespace mae::studio {

void draw_training_panel(StudioApp& app) {
  auto& s = app.state();
  auto& f = s.form;
  place_panel(app, Panel::Training, "Training");
  if (!ImGui::Begin("Training")) {
    ImGui::End();
    return;
  }
  const bool active = app.training_active();
  ImGui::BeginDisabled(active);
  ImGui::InputText("data", f.data, sizeof f.data);
  ImGui::SameLine();
  if (ImGui::SmallButton("...##data")) {
    app.open_file_browser(BrowseTarget::TrainingData);
  }
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("fashion-mnist, a folder of images, or one image; drop a folder here");
  const auto& presets = all_presets();
  if (ImGui::BeginCombo("preset", f.preset.c_str())) {
    for (size_t i = 0; i < presets.size(); ++i) {
      if (ImGui::Selectable(presets[i].name.c_str(), f.preset == presets[i].name))
        app.apply_preset(presets[i].name);
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", presets[i].description.c_str());
    }
    ImGui::EndCombo();
  }
  ImGui::SliderFloat("mask ratio", &f.mask_ratio, 0.05f, 0.95f, "%.2f");
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("fraction of patches removed in training (the paper: 0.75)");
  strategy_combo("strategy", &f.strategy);
  ImGui::InputInt("batch", &f.batch, 16, 64);
  ImGui::InputFloat("base lr", &f.base_lr, 0, 0, "%.2e");
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("learning rate per 256 images: peak lr = base lr x batch / 256 = %.2e",
                      static_cast<double>(f.base_lr) * f.batch / 256.0);
  int steps = f.steps;
  if (ImGui::InputInt("steps", &steps, 100, 1000)) app.set_training_steps(steps);
  ImGui::InputInt("warmup steps", &f.warmup_steps, 10, 100);
  ImGui::SliderFloat("crop min scale", &f.crop_min, 0.05f, 1.0f, "%.2f");
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("RandomResizedCrop keeps between this fraction and all of each picture");
  ImGui::Checkbox("norm_pix_loss", &f.norm_pix);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip(
        "predict each patch normalised by its own mean and spread (the paper's\n"
        "choice for ViTs: better features, pictures need visible-patch statistics)");
  const char* devices[] = {"cpu", "cuda"};
  const int device_count = cuda_available() ? 2 : 1;
  int device = static_cast<int>(f.device);
  if (ImGui::Combo("device", &device, devices, device_count))
    f.device = static_cast<ComputeDevice>(device);
  ImGui::EndDisabled();
  ImGui::InputText("save to", f.save_path, sizeof f.save_path);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("where Save, Ctrl+S and \"save and quit\" write the run");
  if (const int64_t unsaved = app.unsaved_steps(); unsaved > 0)
    ImGui::TextDisabled("%lld steps not saved yet", static_cast<long long>(unsaved));

  ImGui::Separator();
  if (!active) {
    if (ImGui::Button("Start")) app.start_training();
    if (const auto what = app.continuable(); !what.empty()) {
      ImGui::SameLine();
      if (ImGui::Button("Continue")) app.continue_training();
      if (ImGui::IsItemHovered())
        ImGui::SetTooltip("go on training %s up to %d steps, with its recipe and optimizer state",
                          what.c_str(), f.steps);
    }
  } else {
    if (ImGui::Button(app.run_state() == SessionState::Paused ? "Resume" : "Pause"))
      app.toggle_pause();
    ImGui::SameLine();
    if (ImGui::Button("Stop")) app.stop_training();
  }
  ImGui::SameLine();
  if (ImGui::Button("Save")) app.save_checkpoint(app.default_save_path());
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("save the run to %s (Ctrl+S)", f.save_path);
  ImGui::SameLine();
  ImGui::TextDisabled("(%s)", to_string(app.run_state()).c_str());
  ImGui::SameLine();
  if (ImGui::SmallButton("Experiments...")) app.show_experiments();
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("train one model per masking ratio and compare them (the paper's Figure 5)");

  const auto& m = s.last_metrics;
  const float total = static_cast<float>(std::max(1, f.steps));
  const SessionState state = app.run_state();
  char overlay[96];
  if (state == SessionState::Preparing && !s.data_stage.empty()) {
    ImGui::TextWrapped("data: %s", s.data_stage.c_str());
    ImGui::ProgressBar(-1.0f * static_cast<float>(ImGui::GetTime()), ImVec2(-1, 0),
                       "preparing data");
  } else if (!s.have_metrics) {
    ImGui::ProgressBar(0.0f, ImVec2(-1, 0), active ? "waiting for the first batch" : "not started");
  } else {
    const double left = (total - static_cast<double>(m.step)) * s.mean_step_ms / 1000.0;
    if (state == SessionState::Running)
      std::snprintf(overlay, sizeof overlay, "%lld / %d  ETA %s", static_cast<long long>(m.step),
                    f.steps, format_duration(left).c_str());
    else
      std::snprintf(overlay, sizeof overlay, "%lld / %d  (%s)", static_cast<long long>(m.step),
                    f.steps, to_string(state).c_str());
    ImGui::ProgressBar(static_cast<float>(m.step) / total, ImVec2(-1, 0), overlay);
    ImGui::Text("loss %.4f   lr %.2e", m.loss, m.lr);
    ImGui::Text("%.0f img/s   %.0f ms/step   %.0f MiB", m.images_per_sec, m.step_ms,
                static_cast<double>(m.memory_bytes) / (1 << 20));
  }
  if (m.skipped_files > 0)
    ImGui::TextColored(ImVec4(1, 0.7f, 0.2f, 1), "%lld unreadable files skipped",
                       static_cast<long long>(m.skipped_files));
  ImGui::End();
}

}  // namespace mae::studio
