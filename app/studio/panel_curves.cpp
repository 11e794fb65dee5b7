// Why: the Curves panel: loss (raw and smoothed, optional log scale) and lr against step,
// drawn with ImDrawList, with a hover readout of the nearest step; the session's earlier runs
// beside them, so that a change of recipe is seen in the curve it makes.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <optional>
#include <string>

#include "panels.h"
#include "recipe/recipe_difference.h"
#include "studio_app.h"
#include "util/axis_ticks.h"

namespace mae::studio {

namespace {

struct Range {
  double lo, hi;
};

Range range_of(const std::vector<double>& v, bool log_scale) {
  Range r{1e300, -1e300};
  for (double x : v) {
    const double y = log_scale ? std::log10(std::max(x, 1e-12)) : x;
    r.lo = std::min(r.lo, y);
    r.hi = std::max(r.hi, y);
  }
  if (r.hi - r.lo < 1e-12) r.hi = r.lo + 1.0;
  return r;
}

void plot_line(ImDrawList* dl, ImVec2 p0, ImVec2 size, const std::vector<double>& xs,
               const std::vector<double>& ys, Range xr, Range yr, bool log_scale, ImU32 color,
               float thickness) {
  std::vector<ImVec2> points;
  const size_t stride = std::max<size_t>(1, ys.size() / 2000);
  for (size_t i = 0; i < ys.size(); i += stride) {
    const double y = log_scale ? std::log10(std::max(ys[i], 1e-12)) : ys[i];
    points.emplace_back(p0.x + static_cast<float>((xs[i] - xr.lo) / (xr.hi - xr.lo)) * size.x,
                        p0.y + size.y - static_cast<float>((y - yr.lo) / (yr.hi - yr.lo)) * size.y);
  }
  if (points.size() >= 2)
    dl->AddPolyline(points.data(), static_cast<int>(points.size()), color, 0, thickness);
}

// Earlier runs, oldest first, each in its own muted colour (the current run's are blue,
// orange and green).
ImU32 earlier_colour(size_t i) {
  constexpr ImU32 kColours[] = {IM_COL32(170, 170, 170, 170), IM_COL32(190, 120, 230, 170),
                                IM_COL32(80, 200, 190, 170), IM_COL32(230, 110, 140, 170)};
  return kColours[i % std::size(kColours)];
}

// A coloured legend entry on the current line when it fits, else on the next.
void legend_item(const std::string& text, ImU32 colour) {
  ImGui::SameLine();
  if (ImGui::CalcTextSize(text.c_str()).x > ImGui::GetContentRegionAvail().x) ImGui::NewLine();
  ImGui::PushStyleColor(ImGuiCol_Text, colour | IM_COL32_A_MASK);
  ImGui::TextUnformatted(text.c_str());
  ImGui::PopStyleColor();
}

// The smoothed loss of `curve` at its step nearest `step`, if the curve reaches that far.
std::optional<double> smoothed_at(const CurveState& curve, double step) {
  if (curve.steps.empty() || step < curve.steps.front() || step > curve.steps.back())
    return std::nullopt;
  const auto it = std::lower_bound(curve.steps.begin(), curve.steps.end(), step);
  return curve.smoothed[static_cast<size_t>(it - curve.steps.begin())];
}

// Grid lines at round losses, labelled with the loss itself (on the log scale too, where
// they sit at 1, 2, 5 times powers of ten), and round step ticks along the bottom; as many as
// the plot has room for.
void draw_axes(ImDrawList* dl, ImVec2 p0, ImVec2 size, Range xr, Range yr, bool log_scale) {
  const ImU32 grid = IM_COL32(255, 255, 255, 28), text = IM_COL32(200, 200, 200, 255);
  const int rows = std::max(2, static_cast<int>(size.y / 45));
  const auto y_ticks = log_scale ? log_ticks(std::pow(10.0, yr.lo), std::pow(10.0, yr.hi), rows)
                                 : linear_ticks(yr.lo, yr.hi, rows);
  for (const auto& tick : y_ticks) {
    const double v = log_scale ? std::log10(tick.value) : tick.value;
    const float y = p0.y + size.y - static_cast<float>((v - yr.lo) / (yr.hi - yr.lo)) * size.y;
    dl->AddLine(ImVec2(p0.x, y), ImVec2(p0.x + size.x, y), grid);
    // Each label sits just above its line; one that would land among the step labels is left
    // out rather than drawn away from its line.
    const float label_y = std::max(y - 14, p0.y);
    if (label_y <= p0.y + size.y - 30)
      dl->AddText(ImVec2(p0.x + 4, label_y), text, tick.label.c_str());
  }
  const int columns = std::max(2, static_cast<int>(size.x / 80));
  for (const auto& tick : linear_ticks(xr.lo, xr.hi, columns, 1.0)) {
    const float x = p0.x + static_cast<float>((tick.value - xr.lo) / (xr.hi - xr.lo)) * size.x;
    dl->AddLine(ImVec2(x, p0.y + size.y - 5), ImVec2(x, p0.y + size.y), text);
    const float w = ImGui::CalcTextSize(tick.label.c_str()).x;
    dl->AddText(ImVec2(std::clamp(x - w / 2, p0.x + 2, p0.x + size.x - w - 2), p0.y + size.y - 18),
                text, tick.label.c_str());
  }
}

}  // namespace

std::string earlier_run_label(const CurveState& earlier, const CurveState& current) {
  if (!earlier.recipe || !current.recipe) return earlier.name;
  return earlier.name + ": " + recipe_difference(*earlier.recipe, *current.recipe);
}

void draw_curves_panel(StudioApp& app) {
  auto& s = app.state();
  auto& c = s.curves;
  if (!begin_panel(app, Panel::Curves, "Curves")) return;
  ImGui::Checkbox("log scale", &c.log_scale);
  ImGui::SameLine();
  ImGui::TextColored(ImVec4(0.5f, 0.7f, 1, 1), "loss");
  ImGui::SameLine();
  ImGui::TextColored(ImVec4(1, 0.8f, 0.3f, 1), "smoothed");
  ImGui::SameLine();
  ImGui::TextColored(ImVec4(0.5f, 1, 0.5f, 1), "lr (own scale)");
  if (!s.earlier_curves.empty()) {
    ImGui::TextDisabled("earlier runs (smoothed):");
    for (size_t i = 0; i < s.earlier_curves.size(); ++i)
      legend_item(earlier_run_label(s.earlier_curves[i], c), earlier_colour(i));
    ImGui::SameLine();
    if (ImGui::SmallButton("clear")) s.earlier_curves.clear();
  }
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  const ImVec2 size(std::max(50.0f, ImGui::GetContentRegionAvail().x),
                    std::max(50.0f, ImGui::GetContentRegionAvail().y - 4));
  ImGui::InvisibleButton("plot", size);
  if (ImGui::BeginPopupContextItem("curves menu")) {
    if (ImGui::MenuItem("Export as PNG")) app.export_curves();
    ImGui::EndPopup();
  }
  auto* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(p0, ImVec2(p0.x + size.x, p0.y + size.y), IM_COL32(25, 25, 30, 255));
  if (c.steps.size() < 2 && s.earlier_curves.empty()) {
    // One step is a point, not a curve: its loss is given in words (a watched run of one step).
    char text[96];
    if (c.steps.empty())
      std::snprintf(text, sizeof text, "the loss appears here while training runs");
    else
      std::snprintf(text, sizeof text, "step %.0f: loss %.4f (a curve needs two steps)",
                    c.steps.front(), c.loss.front());
    dl->AddText(ImVec2(p0.x + 8, p0.y + 8), IM_COL32(200, 200, 200, 255), text);
    ImGui::End();
    return;
  }
  // Axes cover the current run and the earlier ones kept for comparison.
  std::vector<double> all_steps = c.steps, all_loss = c.loss;
  for (const auto& earlier : s.earlier_curves) {
    all_steps.insert(all_steps.end(), earlier.steps.begin(), earlier.steps.end());
    all_loss.insert(all_loss.end(), earlier.smoothed.begin(), earlier.smoothed.end());
  }
  const Range xr = range_of(all_steps, false);
  const Range yr = range_of(all_loss, c.log_scale);
  for (size_t i = 0; i < s.earlier_curves.size(); ++i)
    plot_line(dl, p0, size, s.earlier_curves[i].steps, s.earlier_curves[i].smoothed, xr, yr,
              c.log_scale, earlier_colour(i), 1.5f);
  if (c.steps.empty()) {
    draw_axes(dl, p0, size, xr, yr, c.log_scale);
    ImGui::End();
    return;
  }
  plot_line(dl, p0, size, c.steps, c.loss, xr, yr, c.log_scale, IM_COL32(120, 170, 255, 140), 1.0f);
  plot_line(dl, p0, size, c.steps, c.smoothed, xr, yr, c.log_scale, IM_COL32(255, 200, 80, 255),
            2.0f);
  plot_line(dl, p0, size, c.steps, c.lr, xr, range_of(c.lr, false), false,
            IM_COL32(120, 255, 120, 200), 1.0f);
  draw_axes(dl, p0, size, xr, yr, c.log_scale);
  if (ImGui::IsItemHovered()) {
    const float mx = ImGui::GetIO().MousePos.x;
    const double step = xr.lo + (mx - p0.x) / size.x * (xr.hi - xr.lo);
    const auto it = std::lower_bound(c.steps.begin(), c.steps.end(), step);
    const size_t i =
        std::min<size_t>(static_cast<size_t>(it - c.steps.begin()), c.steps.size() - 1);
    dl->AddLine(ImVec2(mx, p0.y), ImVec2(mx, p0.y + size.y), IM_COL32(255, 255, 255, 90));
    std::string earlier;
    for (const auto& e : s.earlier_curves)
      if (const auto loss = smoothed_at(e, c.steps[i])) {
        char value[32];
        std::snprintf(value, sizeof value, ": smoothed %.4f", *loss);
        earlier += "\n" + e.name + value;
      }
    ImGui::SetTooltip("step %.0f\nloss %.4f\nsmoothed %.4f\nlr %.3e%s", c.steps[i], c.loss[i],
                      c.smoothed[i], c.lr[i], earlier.c_str());
  }
  ImGui::End();
}

}  // namespace mae::studio
