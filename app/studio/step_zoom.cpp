// Why: one zoom for every plot of steps, so that the Curves panel and the Experiments window
// answer a drag, the wheel and a double click alike.
#include "step_zoom.h"

#include <algorithm>
#include <cmath>

namespace mae::studio {

PlotPointer last_item_pointer() {
  return {ImGui::IsItemHovered(), ImGui::IsItemActive(), ImGui::IsItemDeactivated()};
}

StepSpan shown_span(const std::optional<StepSpan>& zoom, StepSpan whole) {
  if (!zoom) return {whole.first, whole.last};
  if (!zoom->follows_newest) return *zoom;
  return {whole.last - (zoom->last - zoom->first), whole.last, true};
}

void steer_step_zoom(std::optional<StepSpan>& zoom, PlotPointer pointer, ImDrawList* dl, ImVec2 p0,
                     ImVec2 size, StepSpan shown, StepSpan whole) {
  const ImGuiIO& io = ImGui::GetIO();
  const auto step_at = [&](float x) {
    return shown.first + std::clamp((x - p0.x) / size.x, 0.0f, 1.0f) * (shown.last - shown.first);
  };
  const auto zoom_to = [&](double first, double last) {
    const double least = std::min(4.0, whole.last - whole.first);
    if (last - first < least) {
      const double middle = (first + last) / 2;
      first = middle - least / 2;
      last = middle + least / 2;
    }
    first = std::max(first, whole.first);
    last = std::min(last, whole.last);
    if (first <= whole.first && last >= whole.last)
      zoom.reset();
    else
      zoom = StepSpan{first, last, last >= whole.last};
  };
  if (pointer.hovered && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) {
    zoom.reset();
    return;
  }
  const float from = io.MouseClickedPos[ImGuiMouseButton_Left].x, to = io.MousePos.x;
  const bool dragged = std::abs(to - from) > 4;
  if (pointer.active && dragged)
    dl->AddRectFilled(ImVec2(std::clamp(std::min(from, to), p0.x, p0.x + size.x), p0.y),
                      ImVec2(std::clamp(std::max(from, to), p0.x, p0.x + size.x), p0.y + size.y),
                      IM_COL32(255, 255, 255, 40));
  if (pointer.released && dragged)
    zoom_to(step_at(std::min(from, to)), step_at(std::max(from, to)));
  if (pointer.hovered && io.MouseWheel != 0) {
    const double at = step_at(io.MousePos.x), scale = std::pow(0.8, io.MouseWheel);
    zoom_to(at - (at - shown.first) * scale, at + (shown.last - at) * scale);
  }
}

}  // namespace mae::studio
