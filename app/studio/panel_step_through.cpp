// Why: the Step-through window, for teaching: the explorer's image and mask through the MAE
// pipeline one stage at a time (arrow keys or buttons), each with its tensor shape and what
// happened, exportable as a numbered PNG sequence for slides. Hovering a picture reads out
// the pixel, patch or token under the pointer.
#include <imgui.h>

#include "keys.h"
#include "panels.h"
#include "studio_app.h"

namespace mae::studio {

void draw_step_through_window(StudioApp& app) {
  auto& s = app.state();
  auto& st = s.step_through;
  if (!st.show) return;
  bool open = true;
  if (!begin_floating_window(app, "Step-through", &open, 0.25f, 0.08f, 0.42f, 0.8f)) {
    if (!open) app.show_step_through(false);
    return;
  }
  const auto& e = s.explorer;
  const bool ready = e.result && !e.result->stages.empty();
  if (!ready) {
    ImGui::TextUnformatted(app.worker().model_info().loaded ? "computing the stages..."
                                                            : "Open a checkpoint first.");
  } else {
    const auto& stages = e.result->stages;
    const int count = static_cast<int>(stages.size());
    if (ImGui::IsWindowFocused(ImGuiFocusedFlags_RootAndChildWindows) &&
        !ImGui::GetIO().WantTextInput) {
      if (ImGui::IsKeyPressed(keys::kLeftArrow)) app.step_stage(-1);
      if (ImGui::IsKeyPressed(keys::kRightArrow)) app.step_stage(+1);
    }
    st.stage = std::clamp(st.stage, 0, count - 1);
    if (ImGui::ArrowButton("previous", ImGuiDir_Left)) app.step_stage(-1);
    ImGui::SameLine();
    if (ImGui::ArrowButton("next", ImGuiDir_Right)) app.step_stage(+1);
    ImGui::SameLine();
    ImGui::Text("stage %d of %d (arrow keys)", st.stage + 1, count);
    ImGui::SameLine();
    if (ImGui::Button("Export PNG sequence")) app.export_step_through();
    // Every stage's name as a clickable strip, so the whole pipeline is always in view.
    for (int i = 0; i < count; ++i) {
      if (i > 0) ImGui::SameLine();
      if (ImGui::GetContentRegionAvail().x < ImGui::CalcTextSize(stages[i].name.c_str()).x + 16)
        ImGui::NewLine();
      if (ImGui::Selectable(stages[i].name.c_str(), i == st.stage, 0,
                            ImGui::CalcTextSize(stages[i].name.c_str())))
        st.stage = i;
    }
    ImGui::Separator();
    const auto& stage = stages[static_cast<size_t>(st.stage)];
    ImGui::Text("%s   %s%s", stage.name.c_str(), stage.shape.c_str(),
                e.extras_stale ? "   [updating...]" : "");
    text_wrapped("%s", stage.explain.c_str());
    const auto& view = e.result->stage_views[static_cast<size_t>(st.stage)];
    const float avail_w = ImGui::GetContentRegionAvail().x;
    const float avail_h = ImGui::GetContentRegionAvail().y - 4;
    const float aspect = static_cast<float>(view.width()) / static_cast<float>(view.height());
    const auto uv =
        draw_view(app, view, ViewStyle{}, std::max(64.0f, std::min(avail_w, avail_h * aspect)),
                  "pipeline-stage");
    if (stage.readout)
      if (const auto text = stage.readout(uv.x, uv.y); !text.empty())
        ImGui::SetTooltip("%s", text.c_str());
  }
  ImGui::End();
  if (!open) app.show_step_through(false);
}

}  // namespace mae::studio
