// Why: the one way the app draws an image view: texture from the renderer, a context menu
// to export it as PNG, and the position under the mouse for click- and drag-to-mask.
#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <string>

#include "panels.h"
#include "studio_app.h"
#include "text_wrap.h"

namespace mae::studio {

ImVec2Pair draw_view(StudioApp& app, const ImageView& view, const ViewStyle& style, float width,
                     const char* export_name) {
  width = std::max(width, 1.0f);  // a panel squeezed to nothing still has a (tiny) picture
  if (view.empty()) {
    ImGui::Dummy(ImVec2(width, width));
    return {-1, -1};
  }
  const float height = width * static_cast<float>(view.height()) / static_cast<float>(view.width());
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  ImGui::Image(app.renderer().texture(view, style), ImVec2(width, height));
  // An invisible button over the picture owns clicks and drags on it, so dragging across a
  // view (painting patches) never moves the window. Its id stays the same when the picture
  // changes, so a drag survives the new reconstruction each painted patch brings.
  ImGui::SetCursorScreenPos(origin);
  ImGui::PushID(export_name);
  ImGui::InvisibleButton("view", ImVec2(width, height),
                         ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonRight);
  ImVec2Pair hovered{-1, -1};
  if (ImGui::IsItemHovered() || ImGui::IsItemActive()) {
    const ImVec2 mouse = ImGui::GetIO().MousePos;
    hovered = {(mouse.x - origin.x) / width, (mouse.y - origin.y) / height};
  }
  ImGui::PushID(static_cast<int>(view.version));
  if (ImGui::BeginPopupContextItem("view menu")) {
    // As shown (tint, grid, heat map), enlarged so small models' pictures stay crisp.
    for (int scale : {1, 4, 8, 16}) {
      const std::string label = "Export PNG as shown, x" + std::to_string(scale);
      if (ImGui::MenuItem(label.c_str())) app.export_view(view, style, export_name, scale);
    }
    ImGui::EndPopup();
  }
  ImGui::PopID();
  ImGui::PopID();
  return hovered;
}

void same_line_if_fits(const char* next_label, RowItem kind) {
  const ImGuiStyle& style = ImGui::GetStyle();
  float width = ImGui::CalcTextSize(next_label, nullptr, /*hide_text_after_double_hash=*/true).x;
  if (kind == RowItem::Button) width += 2 * style.FramePadding.x;
  if (kind == RowItem::Checkbox) width += ImGui::GetFrameHeight() + style.ItemInnerSpacing.x;
  const float right_edge = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
  if (ImGui::GetItemRectMax().x + style.ItemSpacing.x + width <= right_edge) ImGui::SameLine();
}

namespace {
// `text` wrapped to `width` by wrap_text, as one item.
void text_wrapped_to(const char* text, float width) {
  const auto measure = [](std::string_view piece) {
    return ImGui::CalcTextSize(piece.data(), piece.data() + piece.size()).x;
  };
  const std::string wrapped = wrap_text(text, width, measure);
  ImGui::TextUnformatted(wrapped.c_str(), wrapped.c_str() + wrapped.size());
}
}  // namespace

void caption(const char* full, const char* brief, float width) {
  if (ImGui::CalcTextSize(full).x <= width) {
    ImGui::TextUnformatted(full);
    return;
  }
  // Narrower than the brief form too: it wraps at the picture's edge instead of running past.
  text_wrapped_to(brief, width);
}

void stretch_column(const char* header, const char* widest) {
  const float weight = std::max(ImGui::CalcTextSize(header).x, ImGui::CalcTextSize(widest).x);
  ImGui::TableSetupColumn(header, ImGuiTableColumnFlags_WidthStretch, weight);
}

void text_wrapped(const char* format, ...) {
  char text[2048];
  va_list args;
  va_start(args, format);
  std::vsnprintf(text, sizeof text, format, args);
  va_end(args);
  text_wrapped_to(text, ImGui::GetContentRegionAvail().x);
}

void push_problem_colour() {
  ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 0.45f, 0.35f, 1.0f));
}

void problem_line(const std::string& problem) {
  if (problem.empty()) return;
  push_problem_colour();
  text_wrapped("%s", problem.c_str());
  ImGui::PopStyleColor();
}

std::string loss_text(int64_t step, double loss) {
  if (step <= 0 || !std::isfinite(loss)) return "loss n/a";
  char text[32];
  std::snprintf(text, sizeof text, "loss %.4f", loss);
  return text;
}

void cpu_share_note(const StudioApp& app) {
  const auto& share = app.state().cpu_share;
  if (share.each == 0) return;
  ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
  text_wrapped("the CPU is shared by %s: %d of its %d threads each", share.sharers.c_str(),
               share.each, share.of);
  ImGui::PopStyleColor();
}

void smoothing_slider(StudioApp& app, float width) {
  auto weight = static_cast<float>(app.state().curve_smoothing);
  ImGui::SetNextItemWidth(width);
  // Three decimals, as shown: 0.9 is then the same weight as the default.
  if (ImGui::SliderFloat("smoothing", &weight, 0.0f, 0.99f, "%.2f"))
    app.set_curve_smoothing(std::round(static_cast<double>(weight) * 1000) / 1000);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip(
        "the smoothed loss is a moving average of this weight, bias-corrected:\n"
        "0 draws the loss itself; at 0.9 each point averages about the last 10\n"
        "logged, at 0.99 about the last 100");
}

bool strategy_combo(const char* label, MaskStrategy* strategy) {
  const char* names[] = {"random", "block", "grid"};
  int index = static_cast<int>(*strategy);
  if (!ImGui::Combo(label, &index, names, 3)) return false;
  *strategy = static_cast<MaskStrategy>(index);
  return true;
}

}  // namespace mae::studio
