// Why: the Curves panel: loss (raw and smoothed, optional log scale) and lr against step,
// drawn with ImDrawList (four points per pixel column, however long the run), with a hover
// readout of the nearest step; the session's earlier runs beside them, so that a change of
// recipe is seen in the curve it makes.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
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

double shown_value(double v, bool log_scale) {
  return log_scale ? std::log10(std::max(v, 1e-12)) : v;
}

// The plotted extent of `values` (the log is monotonic: the extent of the logs is the logs
// of the extent), widened where it is a single value.
Range plotted(ValueRange values, bool log_scale) {
  Range r{shown_value(values.lo, log_scale), shown_value(values.hi, log_scale)};
  if (r.hi - r.lo < 1e-12) r.hi = r.lo + 1.0;
  return r;
}

// One series against step, thinned to what the plot's pixel columns can show, in screen
// coordinates.
std::vector<ImVec2> screen_points(ImVec2 p0, ImVec2 size, const LossCurve& curve,
                                  CurveSeries series, Range xr, Range yr, bool log_scale) {
  std::vector<ImVec2> points;
  for (const auto& p : curve.drawn_points(series, xr.lo, xr.hi, static_cast<int>(size.x))) {
    const double y = shown_value(p.y, log_scale);
    points.emplace_back(p0.x + static_cast<float>((p.x - xr.lo) / (xr.hi - xr.lo)) * size.x,
                        p0.y + size.y - static_cast<float>((y - yr.lo) / (yr.hi - yr.lo)) * size.y);
  }
  return points;
}

void plot_line(ImDrawList* dl, const std::vector<ImVec2>& points, ImU32 color, float thickness) {
  if (points.size() >= 2)
    dl->AddPolyline(points.data(), static_cast<int>(points.size()), color, 0, thickness);
}

// The raw loss of a long run: in each pixel column a bar from its lowest to its highest point,
// reaching the column before's last point so that the bars join. A polyline through the same
// points clipped the tip of a one-step spike, where the line turns back on itself.
void plot_envelope(ImDrawList* dl, const std::vector<ImVec2>& points, ImU32 color) {
  float column = -1, top = 0, bottom = 0, last_y = 0;
  const auto flush = [&] {
    if (column >= 0) dl->AddRectFilled(ImVec2(column, top), ImVec2(column + 1, bottom + 1), color);
  };
  for (const auto& p : points) {
    const float x = std::floor(p.x);
    if (x != column) {
      flush();
      top = bottom = column < 0 ? p.y : last_y;
      column = x;
    }
    top = std::min(top, p.y);
    bottom = std::max(bottom, p.y);
    last_y = p.y;
  }
  flush();
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

// An axis label on a dark backing, readable where a curve runs under it.
void axis_label(ImDrawList* dl, ImVec2 at, ImU32 colour, const std::string& text) {
  const ImVec2 size = ImGui::CalcTextSize(text.c_str());
  dl->AddRectFilled(ImVec2(at.x - 2, at.y), ImVec2(at.x + size.x + 2, at.y + size.y),
                    IM_COL32(25, 25, 30, 200));
  dl->AddText(at, colour, text.c_str());
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
    if (label_y <= p0.y + size.y - 30) axis_label(dl, ImVec2(p0.x + 4, label_y), text, tick.label);
  }
  const int columns = std::max(2, static_cast<int>(size.x / 80));
  for (const auto& tick : linear_ticks(xr.lo, xr.hi, columns, 1.0)) {
    const float x = p0.x + static_cast<float>((tick.value - xr.lo) / (xr.hi - xr.lo)) * size.x;
    dl->AddLine(ImVec2(x, p0.y + size.y - 5), ImVec2(x, p0.y + size.y), text);
    const float w = ImGui::CalcTextSize(tick.label.c_str()).x;
    axis_label(dl,
               ImVec2(std::clamp(x - w / 2, p0.x + 2, p0.x + size.x - w - 2), p0.y + size.y - 18),
               text, tick.label);
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
  const auto& points = c.points;
  if (points.size() < 2 && s.earlier_curves.empty()) {
    // One step is a point, not a curve: its loss is given in words (a watched run of one step).
    char text[96];
    if (points.empty())
      std::snprintf(text, sizeof text, "the loss appears here while training runs");
    else
      std::snprintf(text, sizeof text, "step %.0f: loss %.4f (a curve needs two steps)",
                    points.steps.front(), points.loss.front());
    dl->AddText(ImVec2(p0.x + 8, p0.y + 8), IM_COL32(200, 200, 200, 255), text);
    ImGui::End();
    return;
  }
  // Axes cover the current run and the earlier ones kept for comparison.
  ValueRange steps = points.step_range, losses = points.loss_range;
  for (const auto& earlier : s.earlier_curves) {
    for (double v : {earlier.points.step_range.lo, earlier.points.step_range.hi}) steps.take(v);
    for (double v : {earlier.points.smoothed_range.lo, earlier.points.smoothed_range.hi})
      losses.take(v);
  }
  const Range xr = plotted(steps, false);
  const Range yr = plotted(losses, c.log_scale);
  for (size_t i = 0; i < s.earlier_curves.size(); ++i)
    plot_line(dl,
              screen_points(p0, size, s.earlier_curves[i].points, CurveSeries::Smoothed, xr, yr,
                            c.log_scale),
              earlier_colour(i), 1.5f);
  if (points.empty()) {
    draw_axes(dl, p0, size, xr, yr, c.log_scale);
    ImGui::End();
    return;
  }
  // A run of more steps than the plot has room for draws its raw loss as bars per column.
  const ImU32 loss_colour = IM_COL32(120, 170, 255, 140);
  const auto loss = screen_points(p0, size, points, CurveSeries::Loss, xr, yr, c.log_scale);
  if (loss.size() < points.size())
    plot_envelope(dl, loss, loss_colour);
  else
    plot_line(dl, loss, loss_colour, 1.0f);
  plot_line(dl, screen_points(p0, size, points, CurveSeries::Smoothed, xr, yr, c.log_scale),
            IM_COL32(255, 200, 80, 255), 2.0f);
  plot_line(
      dl,
      screen_points(p0, size, points, CurveSeries::Lr, xr, plotted(points.lr_range, false), false),
      IM_COL32(120, 255, 120, 200), 1.0f);
  draw_axes(dl, p0, size, xr, yr, c.log_scale);
  if (ImGui::IsItemHovered()) {
    const float mx = ImGui::GetIO().MousePos.x;
    const double step = xr.lo + (mx - p0.x) / size.x * (xr.hi - xr.lo);
    const auto it = std::lower_bound(points.steps.begin(), points.steps.end(), step);
    const size_t i =
        std::min<size_t>(static_cast<size_t>(it - points.steps.begin()), points.size() - 1);
    dl->AddLine(ImVec2(mx, p0.y), ImVec2(mx, p0.y + size.y), IM_COL32(255, 255, 255, 90));
    std::string earlier;
    for (const auto& e : s.earlier_curves)
      if (const auto loss = e.points.smoothed_at(points.steps[i])) {
        char value[32];
        std::snprintf(value, sizeof value, ": smoothed %.4f", *loss);
        earlier += "\n" + e.name + value;
      }
    ImGui::SetTooltip("step %.0f\nloss %.4f\nsmoothed %.4f\nlr %.3e%s", points.steps[i],
                      points.loss[i], points.smoothed[i], points.lr[i], earlier.c_str());
  }
  ImGui::End();
}

}  // namespace mae::studio
