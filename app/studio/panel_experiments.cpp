// Why: the Experiments window: the paper's masking-ratio experiment started from the app,
// trained in the background with progress per run and each run's loss curve, stoppable and
// resumable, and its results as a table and a plot of accuracy and MSE against the ratio.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>

#include "analysis/reading.h"
#include "model/presets.h"
#include "panels.h"
#include "step_zoom.h"
#include "studio_app.h"
#include "util/axis_ticks.h"

namespace mae::studio {

namespace {
// Every step of the sweep's runs (one step widened to two); none before a run has a step.
std::optional<StepSpan> every_sweep_step(const std::vector<SweepRunCurve>& curves) {
  ValueRange steps;
  for (const auto& c : curves)
    if (!c.points.empty()) {
      steps.take(c.points.steps.front());
      steps.take(c.points.steps.back());
    }
  if (steps.empty()) return std::nullopt;
  return StepSpan{steps.lo, std::max(steps.hi, steps.lo + 1)};
}

struct PlotLine {
  std::string name;
  ImU32 color = 0;
  std::vector<double> x, y;
  bool dashed = false;
  bool dots = true;  // a dot at each point: a few ratios, not a curve's many steps
};

// Under the x axis: each ratio at its point, or ticks (steps).
enum class XLabels { EachPoint, Ticks };

// Where a plot was drawn, and how the pointer met it, for a readout of what is under the
// pointer and for the zoom.
struct PlotArea {
  float left = 0, right = 0, top = 0, bottom = 0;
  double x_lo = 0, x_hi = 0;
  PlotPointer pointer;
};

// A small line plot with labelled axes and a legend, drawn straight with ImDrawList, over
// `x_span` where one is given (the lines cut at its edges, the y axis fitted to what is
// inside it), else over every point. Nothing (no area) where the lines have no point.
std::optional<PlotArea> draw_plot(const char* title, const char* y_label,
                                  const std::vector<PlotLine>& lines, ImVec2 size,
                                  XLabels x_labels = XLabels::EachPoint,
                                  std::optional<StepSpan> x_span = std::nullopt) {
  double lo = INFINITY, hi = -INFINITY, xlo = INFINITY, xhi = -INFINITY;
  for (const auto& l : lines)
    for (size_t i = 0; i < l.x.size(); ++i) {
      if (x_span && (l.x[i] < x_span->first || l.x[i] > x_span->last)) continue;
      lo = std::min(lo, l.y[i]);
      hi = std::max(hi, l.y[i]);
      xlo = std::min(xlo, l.x[i]);
      xhi = std::max(xhi, l.x[i]);
    }
  if (x_span && !std::isfinite(lo))  // zoomed in between two points: those either side
    for (const auto& l : lines)
      for (const double y : l.y) {
        lo = std::min(lo, y);
        hi = std::max(hi, y);
      }
  if (!std::isfinite(lo)) return std::nullopt;
  if (x_span) {
    xlo = x_span->first;
    xhi = x_span->last;
  }
  if (hi - lo < 1e-9) hi = lo + 1;
  if (xhi - xlo < 1e-9) xhi = xlo + 0.1;
  const double pad = 0.08 * (hi - lo);
  lo -= pad;
  hi += pad;
  ImGui::TextUnformatted(title);
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  // A button rather than a dummy: a drag across the plot steers its zoom, not the window.
  ImGui::InvisibleButton(title, size);
  const PlotPointer pointer = last_item_pointer();
  auto* draw = ImGui::GetWindowDrawList();
  const float left = origin.x + 48, right = origin.x + size.x - 8;
  const float top = origin.y + 4, bottom = origin.y + size.y - 20;
  draw->AddRectFilled(ImVec2(left, top), ImVec2(right, bottom), IM_COL32(30, 30, 34, 255));
  auto px = [&](double x) {
    return left + static_cast<float>((x - xlo) / (xhi - xlo)) * (right - left);
  };
  auto py = [&](double y) {
    return bottom - static_cast<float>((y - lo) / (hi - lo)) * (bottom - top);
  };
  for (const auto& tick :
       linear_ticks(lo, hi, std::max(2, static_cast<int>((bottom - top) / 30)))) {
    const float y = py(tick.value);
    draw->AddLine(ImVec2(left, y), ImVec2(right, y), IM_COL32(70, 70, 80, 255));
    draw->AddText(ImVec2(origin.x, y - 7), IM_COL32(200, 200, 200, 255), tick.label.c_str());
  }
  if (x_labels == XLabels::Ticks)
    for (const auto& tick :
         linear_ticks(xlo, xhi, std::max(2, static_cast<int>((right - left) / 80)), 1.0)) {
      const float w = ImGui::CalcTextSize(tick.label.c_str()).x;
      draw->AddText(ImVec2(std::clamp(px(tick.value) - w / 2, left, right - w), bottom + 3),
                    IM_COL32(200, 200, 200, 255), tick.label.c_str());
    }
  // Each ratio labelled under its point, left to right, skipping one that would touch the
  // label before it (a sweep of a dozen ratios). Every series shares the ratios.
  if (x_labels == XLabels::EachPoint && !lines.empty()) {
    char text[32];
    float labelled_up_to = -INFINITY;
    const auto& l = lines.front();
    for (size_t i = 0; i < l.x.size(); ++i) {
      std::snprintf(text, sizeof text, "%.2f", l.x[i]);
      const float w = ImGui::CalcTextSize(text).x;
      const float x = std::clamp(px(l.x[i]) - w / 2, left, right - w);
      if (x < labelled_up_to + 6) continue;
      draw->AddText(ImVec2(x, bottom + 3), IM_COL32(200, 200, 200, 255), text);
      labelled_up_to = x + w;
    }
  }
  // Zoomed, the lines are cut at the plot's edges; a dot at an edge ratio is drawn whole.
  if (x_span)
    draw->PushClipRect(ImVec2(left, top), ImVec2(right, bottom), true);
  else
    draw->PushClipRect(origin, ImVec2(origin.x + size.x, origin.y + size.y), true);
  for (const auto& l : lines) {
    for (size_t i = 0; i + 1 < l.x.size(); ++i)
      draw->AddLine(ImVec2(px(l.x[i]), py(l.y[i])), ImVec2(px(l.x[i + 1]), py(l.y[i + 1])), l.color,
                    l.dashed ? 1.0f : 2.0f);
    if (l.dots && !l.dashed)
      for (size_t i = 0; i < l.x.size(); ++i)
        draw->AddCircleFilled(ImVec2(px(l.x[i]), py(l.y[i])), 3.5f, l.color);
  }
  draw->PopClipRect();
  // The legend below the plot, in rows, where it hides no line.
  ImGui::Dummy(ImVec2(size.x, 0));
  float x = left;
  for (const auto& l : lines) {
    const float w = 30 + ImGui::CalcTextSize(l.name.c_str()).x + 12;
    if (x + w > right && x > left) {
      ImGui::Dummy(ImVec2(size.x, 15));
      x = left;
    }
    const ImVec2 at = ImGui::GetCursorScreenPos();
    draw->AddLine(ImVec2(x, at.y + 7), ImVec2(x + 20, at.y + 7), l.color, 2.0f);
    draw->AddText(ImVec2(x + 26, at.y), IM_COL32(220, 220, 220, 255), l.name.c_str());
    x += w;
  }
  ImGui::Dummy(ImVec2(size.x, 15));
  draw->AddText(ImVec2(right - ImGui::CalcTextSize(y_label).x, top + 2),
                IM_COL32(160, 160, 160, 255), y_label);
  return PlotArea{left, right, top, bottom, xlo, xhi, pointer};
}

// Each ratio's training loss, smoothed as the Curves panel smooths it and thinned to what the
// plot's pixel columns show, zoomed as the Curves panel zooms, exported from its right-click
// menu. A higher ratio's loss is taken over more, harder patches: the curves show how each run
// trains, not which ratio wins.
void draw_run_curves(StudioApp& app, float width) {
  auto& x = app.state().experiments;
  const auto& curves = x.curves;
  const auto whole = every_sweep_step(curves);
  if (!whole) return;
  if (x.curves_zoom) x.curves_zoom = shown_span(x.curves_zoom, *whole);  // following the newest
  const StepSpan shown = shown_span(x.curves_zoom, *whole);
  std::vector<PlotLine> lines;
  for (size_t i = 0; i < curves.size(); ++i) {
    const auto& c = curves[i].points;
    if (c.empty()) continue;
    char name[32];
    std::snprintf(name, sizeof name, "ratio %.2f", curves[i].ratio);
    PlotLine line;
    line.name = name;
    const auto rgb = sweep_ratio_colour(i, curves.size());
    line.color = ImGui::ColorConvertFloat4ToU32(ImVec4(rgb[0], rgb[1], rgb[2], 1.0f));
    line.dots = false;
    for (const auto& p :
         c.drawn_points(CurveSeries::Smoothed, shown.first, shown.last, static_cast<int>(width))) {
      line.x.push_back(p.x);
      line.y.push_back(p.y);
    }
    lines.push_back(std::move(line));
  }
  ImGui::TextDisabled(
      "drag across steps or turn the wheel to zoom; double-click: every step; right-click: "
      "export");
  smoothing_slider(app, 120);
  if (x.curves_zoom) {
    ImGui::SameLine();
    if (ImGui::SmallButton("every step")) x.curves_zoom.reset();
  }
  const auto area =
      draw_plot("training loss per ratio (smoothed)", "loss", lines,
                ImVec2(width, std::max(120.0f, width * 0.22f)), XLabels::Ticks, shown);
  if (!area) return;
  constexpr const char* kMenu = "sweep curves menu";
  if (area->pointer.hovered && ImGui::IsMouseReleased(ImGuiMouseButton_Right))
    ImGui::OpenPopup(kMenu);
  if (ImGui::BeginPopup(kMenu)) {
    if (ImGui::MenuItem("Export as PNG")) app.export_sweep_curves();
    if (ImGui::MenuItem("Show every step", nullptr, false, x.curves_zoom.has_value()))
      x.curves_zoom.reset();
    ImGui::EndPopup();
  }
  auto* dl = ImGui::GetWindowDrawList();
  const ImVec2 p0(area->left, area->top);
  const ImVec2 size(area->right - area->left, area->bottom - area->top);
  steer_step_zoom(x.curves_zoom, area->pointer, dl, p0, size, shown, *whole);
  // Under the pointer: each ratio's smoothed loss at the steps of that pixel column.
  const float mx = ImGui::GetIO().MousePos.x;
  if (!area->pointer.hovered || mx < area->left || mx > area->right ||
      ImGui::IsMouseDragging(ImGuiMouseButton_Left))
    return;
  const double per_pixel = (area->x_hi - area->x_lo) / (area->right - area->left);
  const double first = area->x_lo + std::floor(mx - area->left) * per_pixel;
  dl->AddLine(ImVec2(mx, area->top), ImVec2(mx, area->bottom), IM_COL32(255, 255, 255, 90));
  ImGui::SetTooltip("%s", sweep_curves_readout(curves, first, first + per_pixel).c_str());
}

// Under the pointer on a plot against the ratio: the nearest ratio marked, and each line's
// value there (a reference line's own, the same at every ratio).
void ratio_readout(const PlotArea& area, const std::vector<PlotLine>& lines,
                   const std::vector<double>& ratios, const char* value_format) {
  const float mx = ImGui::GetIO().MousePos.x;
  if (!area.pointer.hovered || ratios.empty() || mx < area.left - 8 || mx > area.right + 8) return;
  const auto px = [&](double ratio) {
    return area.left + static_cast<float>((ratio - area.x_lo) / (area.x_hi - area.x_lo)) *
                           (area.right - area.left);
  };
  size_t nearest = 0;
  for (size_t i = 1; i < ratios.size(); ++i)
    if (std::abs(px(ratios[i]) - mx) < std::abs(px(ratios[nearest]) - mx)) nearest = i;
  const float x = px(ratios[nearest]);
  ImGui::GetWindowDrawList()->AddLine(ImVec2(x, area.top), ImVec2(x, area.bottom),
                                      IM_COL32(255, 255, 255, 90));
  char line[128];
  std::snprintf(line, sizeof line, "ratio %.2f", ratios[nearest]);
  std::string text = line;
  for (const auto& l : lines) {
    if (l.y.empty()) continue;
    const double value = l.dashed ? l.y.front() : l.y[std::min(nearest, l.y.size() - 1)];
    char value_text[48];
    std::snprintf(value_text, sizeof value_text, value_format, value);
    std::snprintf(line, sizeof line, "\n%s: %s", l.name.c_str(), value_text);
    text += line;
  }
  ImGui::SetTooltip("%s", text.c_str());
}

void draw_results(const SweepReport& r, float width) {
  if (ImGui::BeginTable("sweep", 7, ImGuiTableFlags_Borders | ImGuiTableFlags_SizingStretchProp)) {
    stretch_column("ratio", "0.00");
    stretch_column("final loss", "0.0000");
    stretch_column("MSE own", "0.0000");
    stretch_column("MSE @0.75", "0.0000");
    stretch_column("linear %", "100.00");
    stretch_column("k-NN %", "100.00");
    stretch_column("time", "00000 s");
    ImGui::TableHeadersRow();
    for (const auto& run : r.runs) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::Text("%.2f", run.ratio);
      ImGui::TableNextColumn();
      ImGui::Text("%.4f", run.final_loss);
      ImGui::TableNextColumn();
      ImGui::Text("%.4f", run.mse_own);
      ImGui::TableNextColumn();
      ImGui::Text("%.4f", run.mse_at_075);
      ImGui::TableNextColumn();
      ImGui::Text("%.2f", 100 * run.linear_accuracy);
      ImGui::TableNextColumn();
      ImGui::Text("%.2f", 100 * run.knn_accuracy);
      ImGui::TableNextColumn();
      ImGui::Text("%.0f s", run.train_seconds);
    }
    ImGui::EndTable();
  }
  if (r.runs.empty()) return;
  ImGui::Text(
      "references: raw pixels %.2f %% linear, %.2f %% k-NN; random encoder %.2f %% / %.2f %%",
      100 * r.pixels.linear_accuracy, 100 * r.pixels.knn_accuracy,
      100 * r.random_encoder.linear_accuracy, 100 * r.random_encoder.knn_accuracy);
  ImGui::TextDisabled("MSE in %s; probes on %lld train / %lld test items", r.space.c_str(),
                      static_cast<long long>(r.probe_train_items),
                      static_cast<long long>(r.probe_test_items));
  const auto series = sweep_series(r);
  const auto& ratios = series.ratio;
  const auto &linear = series.linear_percent, &knn = series.knn_percent;
  const auto &own = series.mse_own, &at075 = series.mse_at_075;
  const double lo = ratios.front(), hi = ratios.back();
  const float plot_w = (width - ImGui::GetStyle().ItemSpacing.x) / 2;
  const ImVec2 size(plot_w, std::max(140.0f, plot_w * 0.6f));
  const std::vector<PlotLine> accuracy{
      {"linear probe", IM_COL32(80, 140, 255, 255), ratios, linear},
      {"k-NN", IM_COL32(255, 150, 50, 255), ratios, knn},
      {"raw pixels (linear)",
       IM_COL32(170, 170, 170, 255),
       {lo, hi},
       {100 * r.pixels.linear_accuracy, 100 * r.pixels.linear_accuracy},
       true},
      {"random encoder (linear)",
       IM_COL32(200, 90, 200, 255),
       {lo, hi},
       {100 * r.random_encoder.linear_accuracy, 100 * r.random_encoder.linear_accuracy},
       true}};
  const std::vector<PlotLine> mse{{"at its own ratio", IM_COL32(90, 200, 110, 255), ratios, own},
                                  {"at 0.75", IM_COL32(240, 80, 80, 255), ratios, at075}};
  ImGui::BeginGroup();
  if (const auto area = draw_plot("accuracy vs masking ratio", "%", accuracy, size))
    ratio_readout(*area, accuracy, ratios, "%.2f %%");
  ImGui::EndGroup();
  ImGui::SameLine();
  ImGui::BeginGroup();
  if (const auto area = draw_plot("masked-patch MSE vs masking ratio", "MSE", mse, size))
    ratio_readout(*area, mse, ratios, "%.4f");
  ImGui::EndGroup();
  for (const auto& line : sweep_reading(r)) text_wrapped("%s", line.c_str());
}
}  // namespace

std::optional<StepSpan> sweep_shown_steps(const ExperimentsState& x) {
  const auto whole = every_sweep_step(x.curves);
  if (!whole) return std::nullopt;
  return shown_span(x.curves_zoom, *whole);
}

std::array<float, 3> sweep_ratio_colour(size_t i, size_t n) {
  static constexpr std::array<float, 3> kStops[] = {
      {0.31f, 0.55f, 1.0f}, {0.35f, 0.78f, 0.43f}, {1.0f, 0.67f, 0.2f}, {0.94f, 0.31f, 0.31f}};
  const float t = n > 1 ? static_cast<float>(i) / static_cast<float>(n - 1) : 0.0f;
  const float at = std::clamp(t, 0.0f, 1.0f) * 3.0f;
  const int k = std::min(2, static_cast<int>(at));
  const float f = at - static_cast<float>(k);
  const auto& a = kStops[k];
  const auto& b = kStops[k + 1];
  return {a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f};
}

std::string sweep_curves_readout(const std::vector<SweepRunCurve>& curves, double first,
                                 double last) {
  const double from = std::ceil(first), to = std::floor(last);
  char line[96];
  if (to > from)
    std::snprintf(line, sizeof line, "steps %.0f to %.0f", from, to);
  else
    std::snprintf(line, sizeof line, "step %.0f", to == from ? from : std::round(first));
  std::string text = line;
  for (const auto& c : curves) {
    if (const auto loss = c.points.smoothed_at(first))
      std::snprintf(line, sizeof line, "\nratio %.2f: smoothed %.4f", c.ratio, *loss);
    else
      std::snprintf(line, sizeof line, "\nratio %.2f: no step here", c.ratio);
    text += line;
  }
  return text;
}

void draw_experiments_window(StudioApp& app) {
  auto& s = app.state();
  auto& x = s.experiments;
  if (!x.show) return;
  if (!begin_floating_window(app, "Experiments: masking ratio", &x.show, 0.15f, 0.06f, 0.55f, 0.8f))
    return;
  text_wrapped(
      "One model per masking ratio, same recipe, seed and number of steps. Each is scored by "
      "its masked-patch MSE and by what its encoder learned: a linear probe and k-NN on "
      "frozen features (the paper's Figure 5, at small scale).");
  ImGui::BeginDisabled(x.running);
  ImGui::InputText("data", x.data, sizeof x.data);
  const auto& presets = all_presets();
  if (ImGui::BeginCombo("preset", x.preset.c_str())) {
    for (const auto& preset : presets)
      if (ImGui::Selectable(preset.name.c_str(), x.preset == preset.name)) x.preset = preset.name;
    ImGui::EndCombo();
  }
  ImGui::InputText("ratios", x.ratios, sizeof x.ratios);
  ImGui::InputInt("steps per ratio", &x.steps, 50, 500);
  ImGui::InputInt("probe train items", &x.probe_train, 1000, 10000);
  ImGui::InputInt("probe test items", &x.probe_test, 500, 2000);
  ImGui::InputText("output folder", x.out, sizeof x.out);
  ImGui::EndDisabled();
  if (!x.running) {
    if (ImGui::Button("Start")) app.start_sweep();
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("finished ratios in the output folder are kept; a stopped one continues");
    problem_line(x.problem);
  } else {
    if (ImGui::Button("Stop")) app.cancel_sweep();
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("the current run is saved; Start continues it");
    ImGui::SameLine();
    ImGui::TextUnformatted(x.progress.line.c_str());
    // One bar per ratio: finished, training or waiting.
    std::vector<double> ratios;
    try {
      ratios = parse_ratio_list(x.ratios);
    } catch (const std::exception&) {
    }
    for (size_t i = 0; i < x.progress.parts.size() && i < ratios.size(); ++i) {
      char label[48];
      const double part = x.progress.parts[i];
      std::snprintf(label, sizeof label, "ratio %.2f: %s", ratios[i],
                    part >= 1.0  ? "done"
                    : part > 0.0 ? "training"
                                 : "waiting");
      ImGui::ProgressBar(static_cast<float>(part), ImVec2(-1, 0), label);
    }
    cpu_share_note(app);
  }
  ImGui::Separator();
  draw_run_curves(app, ImGui::GetContentRegionAvail().x);
  if (x.report)
    draw_results(*x.report, ImGui::GetContentRegionAvail().x);
  else
    ImGui::TextDisabled("results appear here when the sweep ends");
  ImGui::End();
}

}  // namespace mae::studio
