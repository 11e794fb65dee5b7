// Why: the Checkpoint panel: open a checkpoint and see what it is (preset, sizes, step,
// loss); failures show up here and in the status bar, never as a crash.
#include <imgui.h>

#include <chrono>

#include "panels.h"
#include "studio_app.h"

namespace mae::studio {

namespace {
void draw_loading(const LoadStatus& loading) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - loading.since).count();
  const char spinner[] = "|/-\\";
  text_wrapped("%c opening %s", spinner[static_cast<int>(seconds * 8) % 4], loading.path.c_str());
  ImGui::ProgressBar(
      loading.bytes > 0 ? static_cast<float>(loading.bytes_read) / static_cast<float>(loading.bytes)
                        : 0.0f,
      ImVec2(-1, 0));
  ImGui::TextDisabled(
      "%.0f of %.0f MB read, %lld tensors, %.1f s", static_cast<double>(loading.bytes_read) / 1e6,
      static_cast<double>(loading.bytes) / 1e6, static_cast<long long>(loading.tensors), seconds);
}

// What is shown was read from a file that has since changed: a run saved over it (Reload
// shows its newer step) or it was deleted (what is shown stays, read before).
void draw_opened_file_state(StudioApp& app) {
  const auto state = app.state().opened_file;
  if (state == OpenedFileState::AsOpened) return;
  ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 0.55f, 0.3f, 1.0f));
  if (state == OpenedFileState::SavedAgain)
    text_wrapped("saved again since it was opened: what follows is the older save");
  else
    text_wrapped("no longer on disk: what follows was read before");
  ImGui::PopStyleColor();
  if (state == OpenedFileState::SavedAgain && ImGui::SmallButton("Reload"))
    app.open_checkpoint(app.state().open_checkpoint_path);
}
}  // namespace

void draw_checkpoint_panel(StudioApp& app) {
  auto& s = app.state();
  if (!begin_panel(app, Panel::Checkpoint, "Checkpoint")) return;
  char* path = s.checkpoint_field;
  constexpr size_t path_size = sizeof s.checkpoint_field;
  ImGui::SetNextItemWidth(-1);
  const bool entered = ImGui::InputTextWithHint("##ckpt", "checkpoint, .pth or HF folder", path,
                                                path_size, ImGuiInputTextFlags_EnterReturnsTrue);
  if (ImGui::Button("Open (Ctrl+O)")) {
    if (path[0] != '\0')
      app.open_checkpoint(path);
    else {
      app.open_file_browser(BrowseTarget::Checkpoint);
    }
  } else if (entered) {
    app.open_checkpoint(path);
  }
  ImGui::SameLine();
  if (ImGui::Button("Probe...")) s.probe.show = true;
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("linear-probe and k-NN accuracy of this checkpoint's encoder");
  ImGui::Separator();
  const auto info = app.worker().model_info();
  if (const auto loading = app.worker().loading()) draw_loading(*loading);
  if (!info.loaded) {
    text_wrapped("No model yet.");
  } else {
    const auto& c = info.config;
    text_wrapped("source  %s", info.source.c_str());
    if (info.source == s.open_checkpoint_path) draw_opened_file_state(app);
    ImGui::Text("preset  %s", c.preset.c_str());
    ImGui::Text("input   %lldx%lld, %lld ch, patch %lld", static_cast<long long>(c.img_h),
                static_cast<long long>(c.img_w), static_cast<long long>(c.in_chans),
                static_cast<long long>(c.patch));
    ImGui::Text("encoder %lld x %lld", static_cast<long long>(c.depth),
                static_cast<long long>(c.embed_dim));
    ImGui::Text("decoder %lld x %lld", static_cast<long long>(c.dec_depth),
                static_cast<long long>(c.dec_dim));
    if (info.format && !records_step(*info.format))
      text_wrapped(
          "format  %s\nstep    not recorded in this format",
          *info.format == ModelFormat::HuggingFace ? "Hugging Face ViTMAE" : "the authors' .pth");
    else
      ImGui::Text("step    %lld   %s", static_cast<long long>(info.step),
                  loss_text(info.step, info.loss).c_str());
    ImGui::Text("norm_pix_loss %s%s", c.norm_pix_loss ? "yes" : "no",
                info.norm_pix_guessed ? " (a guess from the file name)" : "");
    if (info.trained_mask_ratio)
      ImGui::Text("trained at mask ratio %.2f", *info.trained_mask_ratio);
    ImGui::Text("runs on %s", info.device.c_str());
  }
  ImGui::Separator();
  ImGui::TextUnformatted("messages");
  ImGui::BeginChild("log", ImVec2(0, 0), true);
  for (const auto& line : s.log) text_wrapped("%s", line.c_str());
  if (ImGui::GetScrollY() >= ImGui::GetScrollMaxY()) ImGui::SetScrollHereY(1.0f);
  ImGui::EndChild();
  ImGui::End();
}

}  // namespace mae::studio
