// Why: the Live triplets panel: the fixed evaluation batch with a fixed mask seed, one row
// per image (masked | reconstruction | + visible | original), scrubbable through the kept
// snapshots. Before training it shows the loaded checkpoint's rows.
#include <imgui.h>

#include "panels.h"
#include "studio_app.h"

namespace mae::studio {

void draw_triplets_panel(StudioApp& app) {
  auto& s = app.state();
  if (!begin_panel(app, Panel::Triplets, "Live triplets")) return;
  std::shared_ptr<const TrainingSnapshot> shown;
  if (!s.snapshots.empty()) {
    const int newest = static_cast<int>(s.snapshots.size()) - 1;
    bool follow = s.snapshot_index < 0;
    if (ImGui::Checkbox("follow", &follow)) s.snapshot_index = follow ? -1 : newest;
    ImGui::SameLine();
    int index = s.snapshot_index < 0 ? newest : std::min(s.snapshot_index, newest);
    ImGui::SetNextItemWidth(-1);
    // Clamped also when typed (Ctrl+click, or Tab onto it): as in every slider of the app.
    // Unclamped, "-5" read before the first snapshot and ended the app.
    if (ImGui::SliderInt("##snapshot", &index, 0, newest, "snapshot %d",
                         ImGuiSliderFlags_AlwaysClamp))
      s.snapshot_index = index;
    shown = s.snapshots[static_cast<size_t>(index)];
  } else {
    shown = s.checkpoint_snapshot;
  }
  if (shown && shown->rows.empty()) {
    text_wrapped(
        "%s: no evaluation images fit this model here (its training data is not on this "
        "machine, and the built-in Fashion-MNIST is grayscale). The explorer works with any "
        "image; training shows its own data.",
        shown->label.c_str());
    ImGui::End();
    return;
  }
  if (!shown) {
    text_wrapped("No reconstructions yet: open a checkpoint or start training.");
    ImGui::End();
    return;
  }
  // Wrapped: a checkpoint's label holds its path, which can be longer than the panel is wide.
  text_wrapped("%s", shown->label.c_str());
  const std::string loss = loss_text(shown->step, shown->loss);  // kept on one line
  same_line_if_fits(loss.c_str(), RowItem::Text);
  ImGui::TextUnformatted(loss.c_str());
  // Short headers where the full ones would run together; each explains itself on hover.
  const char* headers[] = {"masked", "reconstruction", "+ visible", "original"};
  const char* short_headers[] = {"masked", "recon.", "+ vis.", "orig."};
  const char* tips[] = {"the input: removed patches are grey (the model's mean colour)",
                        "the decoder's prediction for every patch",
                        "the prediction with the visible patches pasted back; tinted patches "
                        "were predicted",
                        "the evaluation image as the model receives it"};
  const float width =
      (ImGui::GetContentRegionAvail().x - 3 * ImGui::GetStyle().ItemSpacing.x) / 4.0f;
  for (int c = 0; c < 4; ++c) {
    if (c > 0) ImGui::SameLine(0, -1);
    ImGui::BeginGroup();
    const bool fits = ImGui::CalcTextSize(headers[c]).x + ImGui::GetStyle().ItemSpacing.x < width;
    ImGui::TextUnformatted(fits ? headers[c] : short_headers[c]);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", tips[c]);
    ImGui::Dummy(ImVec2(width, 0));
    ImGui::EndGroup();
  }
  ViewStyle plain;
  ViewStyle tinted;
  tinted.tint_mask = true;
  for (size_t r = 0; r < shown->rows.size(); ++r) {
    const auto& row = shown->rows[r];
    const std::string tag = "triplet" + std::to_string(r);
    draw_view(app, row.masked, plain, width, (tag + "-masked").c_str());
    ImGui::SameLine();
    draw_view(app, row.reconstruction, plain, width, (tag + "-reconstruction").c_str());
    ImGui::SameLine();
    draw_view(app, row.pasted, tinted, width, (tag + "-pasted").c_str());
    ImGui::SameLine();
    draw_view(app, row.original, plain, width, (tag + "-original").c_str());
  }
  ImGui::End();
}

}  // namespace mae::studio
