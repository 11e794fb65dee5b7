// Why: the Curves panel: loss (raw and smoothed, optional log scale) and lr against step,
// drawn with ImDrawList however long the run (each pixel column's spread of losses, a one-step
// spike included), zoomed by dragging across steps or with the wheel, with a hover readout of
// the steps under the pointer; the session's earlier runs beside them, so that a change of
// recipe is seen in the curve it makes.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <string>

#include "panels.h"
#include "recipe/recipe_difference.h"
#include "step_zoom.h"
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

// The plotted extent of `values`, widened where it is a single value.
Range plotted(ValueRange values, bool log_scale) {
  Range r{shown_value(values.lo, log_scale), shown_value(values.hi, log_scale)};
  if (r.hi - r.lo < 1e-12) r.hi = r.lo + 1.0;
  return r;
}

// The extent of what is drawn of `series` between the plotted steps (the thinned points keep
// each column's lowest and highest, so this is the extent of every step there).
void take_values(ValueRange& values, const LossCurve& curve, CurveSeries series, Range xr,
                 int columns) {
  for (const auto& p : curve.drawn_points(series, xr.lo, xr.hi, columns))
    if (p.x >= xr.lo && p.x <= xr.hi) values.take(p.y);
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

// The raw loss where the plot shows more steps than it has pixel columns: in each column a bar
// from its lowest to its highest point, reaching the column before's last point so that the
// bars join. A polyline through the same points clipped the tip of a one-step spike, where the
// line turns back on itself.
void plot_envelope(ImDrawList* dl, const std::vector<ImVec2>& points, ImU32 color) {
  float column = -1e30f, top = 0, bottom = 0, last_y = 0;
  bool open = false;
  const auto flush = [&] {
    if (open) dl->AddRectFilled(ImVec2(column, top), ImVec2(column + 1, bottom + 1), color);
  };
  for (const auto& p : points) {
    const float x = std::floor(p.x);
    if (x != column) {
      flush();
      top = bottom = open ? last_y : p.y;
      column = x;
      open = true;
    }
    top = std::min(top, p.y);
    bottom = std::max(bottom, p.y);
    last_y = p.y;
  }
  flush();
}

// Every step of the current run and of the earlier ones kept beside it.
Range whole_steps(const AppState& s) {
  ValueRange steps;
  const auto take = [&](const LossCurve& curve) {
    if (curve.empty()) return;
    steps.take(curve.steps.front());
    steps.take(curve.steps.back());
  };
  take(s.curves.points);
  for (const auto& e : s.earlier_curves) take(e.points);
  return plotted(steps, false);
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
  auto label = earlier.name + ": " + recipe_difference(*earlier.recipe, *current.recipe);
  // norm_pix's loss is measured against per-patch normalized targets: its height says nothing
  // of how the other run reconstructs (the paper's ablation compares them by fine-tuning).
  if (earlier.recipe->model.norm_pix_loss != current.recipe->model.norm_pix_loss)
    label += " (its loss in another space)";
  return label;
}

StepSpan shown_steps(const AppState& s) {
  const Range whole = whole_steps(s);
  return shown_span(s.curves.zoom, {whole.lo, whole.hi});
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
  ImGui::SameLine();
  constexpr float kSliderWidth = 80;
  if (ImGui::GetContentRegionAvail().x <
      kSliderWidth + ImGui::CalcTextSize("smoothing").x + 2 * ImGui::GetStyle().ItemSpacing.x)
    ImGui::NewLine();
  smoothing_slider(app, kSliderWidth);
  if (c.zoom) {
    ImGui::SameLine();
    if (ImGui::SmallButton("whole run")) c.zoom.reset();
  }
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
  const PlotPointer pointer = last_item_pointer();
  if (ImGui::BeginPopupContextItem("curves menu")) {
    if (ImGui::MenuItem("Export as PNG")) app.export_curves();
    if (ImGui::MenuItem("Show the whole run", nullptr, false, c.zoom.has_value())) c.zoom.reset();
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
  // The steps shown (all, or the zoom), and the losses drawn there, of the current run and
  // of the earlier ones kept beside it.
  const Range whole = whole_steps(s);
  if (c.zoom) c.zoom = shown_steps(s);  // one that follows the newest step has moved with it
  const Range xr{c.zoom ? c.zoom->first : whole.lo, c.zoom ? c.zoom->last : whole.hi};
  const int columns = static_cast<int>(size.x);
  ValueRange losses;
  for (const auto& e : s.earlier_curves)
    take_values(losses, e.points, CurveSeries::Smoothed, xr, columns);
  take_values(losses, points, CurveSeries::Loss, xr, columns);
  if (losses.empty())  // zoomed in between two steps: the losses either side
    for (const auto& p : points.drawn_points(CurveSeries::Loss, xr.lo, xr.hi, columns))
      losses.take(p.y);
  if (losses.empty()) losses.take(0.0);  // only earlier runs, none of them here
  const Range yr = plotted(losses, c.log_scale);
  dl->PushClipRect(p0, ImVec2(p0.x + size.x, p0.y + size.y), true);
  for (size_t i = 0; i < s.earlier_curves.size(); ++i)
    plot_line(dl,
              screen_points(p0, size, s.earlier_curves[i].points, CurveSeries::Smoothed, xr, yr,
                            c.log_scale),
              earlier_colour(i), 1.5f);
  if (!points.empty()) {
    // More steps shown than the plot has pixel columns: the raw loss as bars per column.
    const ImU32 loss_colour = IM_COL32(120, 170, 255, 140);
    const auto loss = screen_points(p0, size, points, CurveSeries::Loss, xr, yr, c.log_scale);
    if (points.steps_between(xr.lo, xr.hi) > static_cast<size_t>(columns))
      plot_envelope(dl, loss, loss_colour);
    else
      plot_line(dl, loss, loss_colour, 1.0f);
    plot_line(dl, screen_points(p0, size, points, CurveSeries::Smoothed, xr, yr, c.log_scale),
              IM_COL32(255, 200, 80, 255), 2.0f);
    ValueRange lr;
    take_values(lr, points, CurveSeries::Lr, xr, columns);
    if (!lr.empty())
      plot_line(dl, screen_points(p0, size, points, CurveSeries::Lr, xr, plotted(lr, false), false),
                IM_COL32(120, 255, 120, 200), 1.0f);
  }
  dl->PopClipRect();
  draw_axes(dl, p0, size, xr, yr, c.log_scale);
  steer_step_zoom(c.zoom, pointer, dl, p0, size, {xr.lo, xr.hi}, {whole.lo, whole.hi});
  if (pointer.hovered && !points.empty() && !ImGui::IsMouseDragging(ImGuiMouseButton_Left)) {
    // The steps of the pixel column under the pointer.
    const float mx = ImGui::GetIO().MousePos.x;
    const double per_pixel = (xr.hi - xr.lo) / size.x;
    const double first = xr.lo + std::floor(mx - p0.x) * per_pixel;
    dl->AddLine(ImVec2(mx, p0.y), ImVec2(mx, p0.y + size.y), IM_COL32(255, 255, 255, 90));
    std::string text = points.readout(first, first + per_pixel);
    for (const auto& e : s.earlier_curves)
      if (const auto loss = e.points.smoothed_at(first)) {
        char value[32];
        std::snprintf(value, sizeof value, ": smoothed %.4f", *loss);
        text += "\n" + e.name + value;
      }
    ImGui::SetTooltip("%s", text.c_str());
  }
  ImGui::End();
}

}  // namespace mae::studio
