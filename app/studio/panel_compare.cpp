// Why: the Compare window: a second checkpoint reconstructs the explorer's image with the very
// same mask, next to the first, so two models (or two training lengths) are judged on equal
// terms.
#include <imgui.h>

#include <string>

#include "panels.h"
#include "studio_app.h"

namespace mae::studio {

namespace {
void draw_row(StudioApp& app, const char* who, const std::string& source, const ExploreViews& v,
              float width) {
  ImGui::Text("%s: %s", who, source.c_str());
  ImGui::Text("masked-patch MSE %.4f", v.masked_mse);
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
}  // namespace

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
      const bool same_grid = second.config.grid_h() == first.config.grid_h() &&
                             second.config.grid_w() == first.config.grid_w();
      draw_row(app, "B", second.source, c.result->main, width);
      ImGui::TextDisabled(same_grid ? "same image, same mask"
                                    : "the patch grids differ: B uses the same ratio and seed "
                                      "on its own grid");
    }
  }
  ImGui::End();
}

}  // namespace mae::studio
