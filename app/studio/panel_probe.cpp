// Why: the Probe window: how much a checkpoint's encoder knows about the classes it never
// saw, as linear-probe and k-NN accuracy beside raw pixels and a random encoder, and where
// it goes wrong (the confusion matrix).
#include <imgui.h>

#include "analysis/reading.h"
#include "panels.h"
#include "studio_app.h"

namespace mae::studio {

namespace {
void score_row(const char* name, const ProbeScores& s) {
  ImGui::TableNextRow();
  ImGui::TableNextColumn();
  ImGui::TextUnformatted(name);
  ImGui::TableNextColumn();
  ImGui::Text("%.2f %%", 100 * s.linear_accuracy);
  ImGui::TableNextColumn();
  ImGui::Text("%.2f %%", 100 * s.knn_accuracy);
}
}  // namespace

void draw_probe_window(StudioApp& app) {
  auto& s = app.state();
  auto& p = s.probe;
  if (!p.show) return;
  if (!begin_floating_window(app, "Probe", &p.show, 0.3f, 0.1f, 0.36f, 0.78f)) return;
  ImGui::BeginDisabled(p.running);
  ImGui::InputTextWithHint("checkpoint", "the model on screen", p.checkpoint, sizeof p.checkpoint);
  if (p.checkpoint[0] == '\0' && !p.running) {
    const auto on_screen = app.model_on_screen();
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    text_wrapped("empty: %s", on_screen.empty() ? "open a checkpoint first" : on_screen.c_str());
    ImGui::PopStyleColor();
  }
  ImGui::InputText("data", p.data, sizeof p.data);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip(
        "fashion-mnist, a folder with train/ and val/ class folders, or one class folder "
        "(every 5th picture is held out)");
  ImGui::InputInt("train items", &p.max_train, 1000, 10000);
  ImGui::InputInt("test items", &p.max_test, 500, 2000);
  ImGui::EndDisabled();
  if (!p.running) {
    if (ImGui::Button("Run probe")) app.start_probe();
    problem_line(p.problem);
  } else {
    if (ImGui::Button("Stop")) app.cancel_probe();
    ImGui::SameLine();
    ImGui::ProgressBar(static_cast<float>(p.progress.fraction), ImVec2(-1, 0),
                       p.progress.line.c_str());
    cpu_share_note(app);
  }
  ImGui::Separator();
  if (!p.report) {
    text_wrapped(
        "A linear classifier and a k-nearest-neighbour vote on the frozen encoder's features "
        "(the whole image, no patch removed). Raw pixels and a randomly initialised encoder of "
        "the same shape are measured on the same items, to show what training added.");
    ImGui::End();
    return;
  }
  const auto& r = *p.report;
  text_wrapped("%s", p.report_of.c_str());
  ImGui::Text("%lld train / %lld test items, %lld classes", static_cast<long long>(r.train_items),
              static_cast<long long>(r.test_items), static_cast<long long>(r.classes));
  ImGui::TextDisabled("%s", r.split.c_str());
  if (r.unreadable.size() == 1)
    text_wrapped("1 file could not be read and was left out: %s", r.unreadable.front().c_str());
  else if (!r.unreadable.empty())
    text_wrapped("%zu files could not be read and were left out; the first: %s",
                 r.unreadable.size(), r.unreadable.front().c_str());
  if (ImGui::BeginTable("probe", 3, ImGuiTableFlags_Borders | ImGuiTableFlags_SizingStretchProp)) {
    stretch_column("features", "random encoder");
    stretch_column("linear probe", "100.00 %");
    stretch_column("k-NN (k=20)", "100.00 %");
    ImGui::TableHeadersRow();
    score_row("this encoder", r.encoder);
    score_row("raw pixels", r.pixels);
    score_row("random encoder", r.random_encoder);
    ImGui::EndTable();
  }
  for (const auto& line : probe_reading(r.encoder, r.pixels, r.random_encoder))
    text_wrapped("%s", line.c_str());
  ImGui::TextUnformatted("confusion matrix of the linear probe (rows: true class, % of row)");
  const float width = std::min(
      ImGui::GetContentRegionAvail().x,
      ImGui::GetContentRegionAvail().y * p.confusion.width() / std::max(1, p.confusion.height()));
  draw_view(app, p.confusion, ViewStyle{}, std::max(100.0f, width), "probe-confusion");
  ImGui::End();
}

}  // namespace mae::studio
