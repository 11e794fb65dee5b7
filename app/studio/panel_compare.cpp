// Why: the Compare window: a second checkpoint reconstructs the explorer's image with the very
// same mask, next to the first, so two models (or two training lengths) are judged on equal
// terms: by the error on the pictures' own scale, since each model's masked-patch MSE is in its
// own normalization (or norm_pix), which another model may not share.
#include <imgui.h>

#include <cstdio>
#include <string>
#include <vector>

#include "panels.h"
#include "studio_app.h"

namespace mae::studio {

namespace {
void draw_row(StudioApp& app, const char* who, const std::string& source, const ExploreViews& v,
              float width) {
  ImGui::Text("%s: %s", who, source.c_str());
  ImGui::Text("removed-pixel MSE %.4f   masked-patch MSE %.4f", v.removed_pixel_mse, v.masked_mse);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip(
        "removed-pixel MSE: the reconstruction against the original over the removed pixels,\n"
        "on the pictures' 0-1 scale, as shown: it compares any two models.\n"
        "masked-patch MSE: in the model's own space (its normalization, or norm_pix),\n"
        "as its training loss measures it.");
  const char* titles[] = {"masked", "reconstruction", "+ visible"};
  const ImageView* views[] = {&v.masked, &v.reconstruction, &v.pasted};
  for (int i = 0; i < 3; ++i) {
    if (i > 0) ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::TextUnformatted(titles[i]);
    ViewStyle style;
    style.tint_mask = i == 0;
    const std::string name = std::string("compare-") + who + "-" + std::to_string(i);
    draw_view(app, *views[i], style, width, name.c_str());
    ImGui::EndGroup();
  }
}

// Where a model's masked-patch MSE is measured: its error space, with the normalization's
// figures, which two models of one error space may still differ in.
std::string space_of(const MaeConfig& c) {
  const auto figures = [](const std::vector<double>& values) {
    std::string out;
    for (const double v : values) {
      char text[32];
      std::snprintf(text, sizeof text, " %.3g", v);
      out += text;
    }
    return out;
  };
  return error_space(c) + " (mean" + figures(c.mean) + ", std" + figures(c.std) + ")";
}
}  // namespace

std::string compare_note(const MaeConfig& a, const MaeConfig& b) {
  const bool same_grid = a.grid_h() == b.grid_h() && a.grid_w() == b.grid_w();
  std::string note = same_grid ? "same image, same mask"
                               : "the patch grids differ: B uses the same ratio and seed on its "
                                 "own grid";
  const auto space_a = space_of(a), space_b = space_of(b);
  if (space_a != space_b)
    note += "; the masked-patch MSEs are in different spaces (A: " + space_a + "; B: " + space_b +
            "): compare the removed-pixel MSEs";
  return note;
}

void draw_compare_window(StudioApp& app) {
  auto& s = app.state();
  auto& c = s.compare;
  if (!c.show) return;
  if (!begin_floating_window(app, "Compare checkpoints", &c.show, 0.2f, 0.1f, 0.45f, 0.75f)) return;
  ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x * 0.65f);
  const bool entered =
      ImGui::InputTextWithHint("##compare", "second checkpoint", c.path, sizeof c.path,
                               ImGuiInputTextFlags_EnterReturnsTrue);
  ImGui::SameLine();
  if ((ImGui::Button("Open") || entered) && c.path[0] != '\0') app.open_compare_checkpoint(c.path);
  ImGui::SameLine();
  if (ImGui::Button("...##compare")) {
    app.open_file_browser(BrowseTarget::CompareCheckpoint);
  }
  const auto first = app.worker().model_info();
  const auto second = app.compare_worker().model_info();
  const auto& e = s.explorer;
  const float width = (ImGui::GetContentRegionAvail().x - 2 * ImGui::GetStyle().ItemSpacing.x) / 3;
  if (!first.loaded || !e.result) {
    ImGui::TextUnformatted("Open a checkpoint in the main window first.");
  } else {
    draw_row(app, "A", first.source, e.result->main, width);
    ImGui::Separator();
    if (!second.loaded || !c.result) {
      ImGui::TextUnformatted(app.compare_worker().busy() ? "B: loading..."
                                                         : "B: open a second checkpoint above.");
    } else {
      draw_row(app, "B", second.source, c.result->main, width);
      const auto note = compare_note(first.config, second.config);
      ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
      text_wrapped("%s", note.c_str());
      ImGui::PopStyleColor();
    }
  }
  ImGui::End();
}

}  // namespace mae::studio
