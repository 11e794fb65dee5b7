// Why: a run's curve grows point by point for as long as the run trains, and the Curves panel
// draws it every frame from a thinned copy; these cases pin that the smoothing is that of the
// points, that a one-step spike in a quarter of a million steps still reaches the top of the
// plot (taking every n-th step drew it flat) and is named by the hover readout, and that the
// plot zooms as a user steers it: a drag across steps, the wheel, a double click back, in the
// Curves panel and in the Experiments window alike; and that the Experiments result plots
// read out the ratio under the pointer.
#include <doctest/doctest.h>
#include <imgui_internal.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "app_state.h"
#include "panels.h"
#include "studio_harness.h"

using namespace mae::studio;
using namespace mae::studio::testing;

namespace {
// A plot's rectangle, found by its background's colour in its window's draw list.
ImRect background_rect(const char* window_name, ImU32 background) {
  const ImGuiWindow* window = ImGui::FindWindowByName(window_name);
  REQUIRE(window != nullptr);
  ImRect r(INFINITY, INFINITY, -INFINITY, -INFINITY);
  for (const auto& v : window->DrawList->VtxBuffer)
    if (v.col == background) r.Add(v.pos);
  REQUIRE(r.GetWidth() > 50);
  return r;
}

// The Curves panel's plot.
ImRect plot_rect() { return background_rect("Curves", IM_COL32(25, 25, 30, 255)); }

// The highest point drawn in `colour` in the Curves window, and how many vertices have it.
std::pair<float, int> drawn_top(ImU32 colour) {
  const ImGuiWindow* window = ImGui::FindWindowByName("Curves");
  float top = INFINITY;
  int vertices = 0;
  for (const auto& v : window->DrawList->VtxBuffer)
    if (v.col == colour) {
      top = std::min(top, v.pos.y);
      ++vertices;
    }
  return {top, vertices};
}

constexpr ImU32 kLossColour = IM_COL32(120, 170, 255, 140);
}  // namespace

TEST_CASE("a loss curve's smoothed loss, steps and readout are those of its points") {
  LossCurve curve;
  std::mt19937 random(3);
  std::uniform_real_distribution<double> loss(0.2, 1.5), lr(1e-5, 1e-3);
  double average = 0, weight = 0;
  for (int step = 10; step < 1010; ++step) {
    const double l = step == 500 ? 7.0 : loss(random);
    curve.add(step, l, lr(random));
    average = 0.9 * average + 0.1 * l;
    weight = 0.9 * weight + 0.1;
    CHECK(curve.smoothed.back() == doctest::Approx(average / weight).epsilon(1e-12));
  }
  CHECK(curve.smoothed.front() == doctest::Approx(curve.loss.front()));
  CHECK(curve.steps_between(100, 199.5) == 100);
  CHECK(curve.smoothed_at(500.5) == curve.smoothed[491]);
  CHECK_FALSE(curve.smoothed_at(5).has_value());
  // A span of many steps names the spread of their losses and the highest one's step.
  const auto many = curve.readout(400, 599.9);
  CHECK(many.rfind("steps 400 to 599 (200)\nloss ", 0) == 0);
  CHECK(many.find(" to 7.0000, highest at step 500\n") != std::string::npos);
  // A span of one step, or of none (a zoomed plot between steps), names the nearest.
  CHECK(curve.readout(500, 500.5).rfind("step 500\nloss 7.0000\n", 0) == 0);
  CHECK(curve.readout(500.6, 500.8).rfind("step 501\n", 0) == 0);
  CHECK(curve.readout(2000, 2001).rfind("step 1009\n", 0) == 0);
  // A diverged step's loss reads in powers of ten.
  curve.add(1010, 3e30, 1e-4);
  CHECK(curve.readout(1010, 1010).rfind("step 1010\nloss 3.0000e+30\n", 0) == 0);
  curve.clear();
  CHECK(curve.empty());
  curve.add(1, 0.7, 1e-4);  // the smoothing starts over too
  CHECK(curve.smoothed.front() == doctest::Approx(0.7));
}

TEST_CASE("a loss curve given steps again (a resumed run's log) drops those after and goes on") {
  // What a run resumed at step 40 after logging to 60 appends, against the curve its log
  // keeps: the steps up to 39, then the resumed ones.
  std::mt19937 random(5);
  std::uniform_real_distribution<double> loss(0.2, 1.5);
  std::vector<double> first_run(61), resumed(81);
  for (auto& l : first_run) l = loss(random);
  for (auto& l : resumed) l = loss(random);
  LossCurve appended, kept;
  for (int step = 1; step <= 60; ++step) appended.add(step, first_run[step], 1e-4);
  const auto before = appended.drawn_points(CurveSeries::Loss, 1, 60, 100);
  for (int step = 1; step <= 80; ++step) {
    if (step >= 40) appended.add(step, resumed[step], 2e-4);
    kept.add(step, step < 40 ? first_run[step] : resumed[step], step < 40 ? 1e-4 : 2e-4);
  }
  CHECK(appended.steps == kept.steps);
  CHECK(appended.loss == kept.loss);
  CHECK(appended.lr == kept.lr);
  for (size_t i = 0; i < kept.size(); ++i)
    CHECK(appended.smoothed[i] == doctest::Approx(kept.smoothed[i]).epsilon(1e-12));
  // The points drawn are the new ones, though as many steps may be kept as before.
  LossCurve again;
  for (int step = 1; step <= 60; ++step) again.add(step, first_run[step], 1e-4);
  CHECK((again.drawn_points(CurveSeries::Loss, 1, 60, 100) == before));
  again.add(60, 9.0, 1e-4);
  CHECK(again.size() == 60);
  CHECK((again.drawn_points(CurveSeries::Loss, 1, 60, 100).back() == mae::PlotPoint{60, 9.0}));
  // A step before all of them starts the curve over.
  again.add(0, 0.5, 1e-4);
  CHECK(again.steps == std::vector<double>{0});
  CHECK(again.smoothed.front() == doctest::Approx(0.5));
}

TEST_CASE("a long curve draws the points of a pass over every step, resumed and smoothed again") {
  // The drawn points come from block summaries kept as the curve grows; a resumed run's steps
  // and a new smoothing weight change values those summaries were taken from.
  std::mt19937 random(3);
  std::uniform_real_distribution<double> loss(0.2, 1.5);
  LossCurve curve;
  const auto same_as_every_step = [&](CurveSeries series, double lo, double hi, int columns) {
    const auto thinning =
        series == CurveSeries::Smoothed ? mae::Thinning::Means : mae::Thinning::Extremes;
    const auto plain =
        mae::thin_curve(curve.steps, curve.values(series), lo, hi, columns, thinning);
    const auto& drawn = curve.drawn_points(series, lo, hi, columns);
    if (drawn.size() != plain.size()) return false;
    for (size_t i = 0; i < plain.size(); ++i)
      if (drawn[i].x != doctest::Approx(plain[i].x).epsilon(1e-12) ||
          drawn[i].y != doctest::Approx(plain[i].y).epsilon(1e-12))
        return false;
    return true;
  };
  const auto all_series_drawn_alike = [&] {
    for (auto series : {CurveSeries::Loss, CurveSeries::Smoothed, CurveSeries::Lr}) {
      CHECK(same_as_every_step(series, 1, curve.steps.back(), 700));
      CHECK(same_as_every_step(series, 3000, 7000, 333));
    }
  };
  for (int step = 1; step <= 20000; ++step) curve.add(step, loss(random), 1e-4 / step);
  all_series_drawn_alike();
  for (int step = 10001; step <= 20000; ++step) curve.add(step, 2 + loss(random), 1e-3);
  all_series_drawn_alike();
  curve.add(5000, 9.0, 1e-2);  // taken again from step 5000
  for (int step = 5001; step <= 12000; ++step) curve.add(step, loss(random), 1e-5);
  all_series_drawn_alike();
  CHECK((mae::thin_curve(curve.steps, curve.loss, 1, 12000, 700, mae::Thinning::Extremes) ==
         curve.drawn_points(CurveSeries::Loss, 1, 12000, 700)));
  curve.set_smoothing(0.5);
  all_series_drawn_alike();
}

TEST_CASE("a loss curve smoothed with another weight is the curve built with it") {
  std::mt19937 random(7);
  std::uniform_real_distribution<double> loss(0.2, 1.5);
  std::vector<double> losses(200);
  for (auto& l : losses) l = loss(random);
  const auto built_with = [&](double weight, int last_step) {
    LossCurve curve;
    curve.set_smoothing(weight);
    for (int step = 1; step <= last_step; ++step) curve.add(step, losses[step - 1], 1e-4);
    return curve;
  };
  LossCurve curve = built_with(0.9, 150);
  const auto drawn = curve.drawn_points(CurveSeries::Smoothed, 1, 150, 50);
  // No smoothing draws the loss itself; a weight set again smooths every step as it was.
  curve.set_smoothing(0.0);
  CHECK(curve.smoothed == curve.loss);
  CHECK_FALSE((curve.drawn_points(CurveSeries::Smoothed, 1, 150, 50) == drawn));
  curve.set_smoothing(0.9);
  CHECK(curve.smoothed == built_with(0.9, 150).smoothed);
  CHECK((curve.drawn_points(CurveSeries::Smoothed, 1, 150, 50) == drawn));
  // The weight holds for the steps that come after, a resumed run's cut included, and past a
  // clear.
  curve.set_smoothing(0.5);
  for (int step = 151; step <= 200; ++step) curve.add(step, losses[step - 1], 1e-4);
  const auto half = built_with(0.5, 200);
  CHECK(curve.smoothed == half.smoothed);
  curve.add(120, losses[119], 1e-4);
  for (int step = 121; step <= 200; ++step) curve.add(step, losses[step - 1], 1e-4);
  for (size_t i = 0; i < half.size(); ++i)
    CHECK(curve.smoothed[i] == doctest::Approx(half.smoothed[i]).epsilon(1e-12));
  curve.clear();
  CHECK(curve.smoothing() == 0.5);
}

TEST_CASE("the smoothing chosen is every curve's: the run's, the earlier runs', the sweep's") {
  HeadlessImGui ui;
  MockRenderer renderer;
  StudioApp app{renderer, options_with("")};
  auto& s = app.state();
  const auto fill = [](LossCurve& curve, double offset) {
    for (int step = 1; step <= 50; ++step) curve.add(step, offset + (step % 7) * 0.1, 1e-4);
  };
  fill(s.curves.points, 1.0);
  s.earlier_curves.emplace_back();
  fill(s.earlier_curves.back().points, 2.0);
  s.experiments.curves.resize(1);
  fill(s.experiments.curves[0].points, 3.0);
  app.set_curve_smoothing(0.0);
  CHECK(s.curves.points.smoothed == s.curves.points.loss);
  CHECK(s.earlier_curves[0].points.smoothed == s.earlier_curves[0].points.loss);
  CHECK(s.experiments.curves[0].points.smoothed == s.experiments.curves[0].points.loss);
  // A curve made afterwards (a sweep's next ratio, a new run) takes it by the next frame.
  s.experiments.curves.resize(2);
  fill(s.experiments.curves[1].points, 4.0);
  ui.frame(app);
  CHECK(s.experiments.curves[1].points.smoothed == s.experiments.curves[1].points.loss);
  // Out of range, it is held to [0, 0.999].
  app.set_curve_smoothing(2.0);
  CHECK(s.curve_smoothing == 0.999);
}

TEST_CASE("the Experiments window's loss plot reads out each ratio's smoothed loss at a step") {
  std::vector<SweepRunCurve> curves(3);
  for (size_t i = 0; i < curves.size(); ++i) {
    curves[i].ratio = 0.25 * static_cast<double>(i + 1);
    // The last ratio's run has reached step 20 only.
    for (int step = 1; step <= (i == 2 ? 20 : 40); ++step)
      curves[i].points.add(step, 1.0 + static_cast<double>(i), 1e-4);
  }
  curves[0].points.add(41, 11.0, 1e-4);  // smoothed: (0.9 * 0.98522 + 1.1) / 0.98670
  const std::string one = sweep_curves_readout(curves, 29.6, 30.4);
  CHECK(one ==
        "step 30\nratio 0.25: smoothed 1.0000\nratio 0.50: smoothed 2.0000\n"
        "ratio 0.75: no step here");
  const std::string many = sweep_curves_readout(curves, 40.5, 43.5);
  CHECK(many ==
        "steps 41 to 43\nratio 0.25: smoothed 2.0135\nratio 0.50: no step here\n"
        "ratio 0.75: no step here");
  CHECK(sweep_curves_readout({}, 5, 5) == "step 5");
}

TEST_CASE("the Curves panel draws a one-step spike of a 250k-step run at the top of its plot") {
  HeadlessImGui ui;
  MockRenderer renderer;
  StudioApp app{renderer, options_with("")};
  auto& points = app.state().curves.points;
  for (int step = 1; step <= 250000; ++step)
    points.add(step, step == 123457 ? 9.0 : 0.5 + 1.0 / std::sqrt(step), 1e-4);
  ui.frame(app);
  ui.frame(app);
  const ImRect plot = plot_rect();
  const auto [loss_top, loss_vertices] = drawn_top(kLossColour);
  REQUIRE(loss_vertices > 0);
  CHECK(loss_top <= plot.Min.y + 2);
  // Four points per pixel column at most, each a few vertices: not one per step.
  CHECK(loss_vertices < 16 * static_cast<int>(plot.GetWidth()));
}

TEST_CASE("the Curves panel zooms to the steps dragged across, with the wheel, and back") {
  HeadlessImGui ui;
  MockRenderer renderer;
  StudioApp app{renderer, options_with("")};
  auto& c = app.state().curves;
  // A loss that falls from 3 to about 0.5 over 1000 steps.
  for (int step = 1; step <= 1000; ++step)
    c.points.add(step, 0.5 + 2.5 * std::exp(-step / 50.0), 1e-4);
  ui.frame(app);
  ui.frame(app);
  const ImRect plot = plot_rect();
  const float y = plot.GetCenter().y;
  const auto x_at = [&](double fraction) {
    return plot.Min.x + static_cast<float>(fraction) * plot.GetWidth();
  };
  CHECK_FALSE(c.zoom.has_value());
  CHECK(drawn_top(kLossColour).first <= plot.Min.y + 2);  // step 1's loss of 3 at the top

  ui.drag(app, ImVec2(x_at(0.5), y), ImVec2(x_at(0.75), y));
  REQUIRE(c.zoom.has_value());
  CHECK(c.zoom->first == doctest::Approx(500.5).epsilon(0.01));
  CHECK(c.zoom->last == doctest::Approx(750.25).epsilon(0.01));
  ui.frame(app);
  // The losses of the steps shown fill the plot: its top is step 501's loss, not step 1's.
  CHECK(drawn_top(kLossColour).first <= plot.Min.y + 2);
  CHECK(shown_steps(app.state()).first == c.zoom->first);

  // The wheel zooms in about the pointer: the step under it stays where it is.
  ImGui::GetIO().MousePos = ImVec2(x_at(0.5), y);
  ImGui::GetIO().MouseWheel = 1;
  ui.frame(app);
  ImGui::GetIO().MouseWheel = 0;
  const double middle = (500.5 + 750.25) / 2;
  CHECK(c.zoom->last - c.zoom->first == doctest::Approx(0.8 * (750.25 - 500.5)).epsilon(0.01));
  CHECK((c.zoom->first + c.zoom->last) / 2 == doctest::Approx(middle).epsilon(0.01));
  // ... and out, no further than the whole run.
  ImGui::GetIO().MouseWheel = -20;
  ui.frame(app);
  ImGui::GetIO().MouseWheel = 0;
  CHECK_FALSE(c.zoom.has_value());

  // A zoom to the newest steps follows the run as it trains, as wide as it was.
  ui.drag(app, ImVec2(x_at(0.8), y), ImVec2(x_at(1.0), y));
  REQUIRE(c.zoom.has_value());
  CHECK(c.zoom->last == 1000);
  const double width = c.zoom->last - c.zoom->first;
  for (int step = 1001; step <= 1100; ++step) c.points.add(step, 0.5, 1e-4);
  ui.frame(app);
  CHECK(c.zoom->last == 1100);
  CHECK(c.zoom->last - c.zoom->first == doctest::Approx(width));
  CHECK(shown_steps(app.state()).last == 1100);
  // One that does not reach it stays where it was.
  ui.drag(app, ImVec2(x_at(0.2), y), ImVec2(x_at(0.5), y));
  const StepSpan before = *c.zoom;
  CHECK_FALSE(before.follows_newest);
  c.points.add(1101, 0.5, 1e-4);
  ui.frame(app);
  CHECK(c.zoom->first == before.first);
  CHECK(c.zoom->last == before.last);

  // A double click shows the whole run again.
  ui.drag(app, ImVec2(x_at(0.1), y), ImVec2(x_at(0.2), y));
  REQUIRE(c.zoom.has_value());
  ui.click(app, ImVec2(x_at(0.5), y));
  ImGui::GetIO().MouseDown[0] = true;
  ui.frame(app);
  ImGui::GetIO().MouseDown[0] = false;
  ui.frame(app);
  CHECK_FALSE(c.zoom.has_value());
}

namespace {
constexpr const char* kExperimentsWindow = "Experiments: masking ratio";

// The Experiments loss plot's rectangle, by its background's colour (no results yet, so it is
// the window's only plot).
ImRect sweep_plot_rect() { return background_rect(kExperimentsWindow, IM_COL32(30, 30, 34, 255)); }

// The highest and lowest points drawn in `colour` over the plot's steps (a line is drawn on to
// the points either side of them, cut at the plot's edges).
std::pair<float, float> drawn_extent(ImU32 colour, const ImRect& plot) {
  const ImGuiWindow* window = ImGui::FindWindowByName(kExperimentsWindow);
  float top = INFINITY, bottom = -INFINITY;
  for (const auto& v : window->DrawList->VtxBuffer)
    if (v.col == colour && v.pos.x >= plot.Min.x && v.pos.x <= plot.Max.x) {
      top = std::min(top, v.pos.y);
      bottom = std::max(bottom, v.pos.y);
    }
  return {top, bottom};
}
}  // namespace

TEST_CASE("the Experiments window's loss plot zooms as the Curves panel does") {
  HeadlessImGui ui;
  MockRenderer renderer;
  StudioApp app{renderer, options_with("")};
  auto& x = app.state().experiments;
  x.curves.resize(2);
  for (size_t i = 0; i < 2; ++i) {
    x.curves[i].ratio = i == 0 ? 0.5 : 0.75;
    // A loss that falls evenly from 3 to 0.5 over 1000 steps (the second run a little above).
    for (int step = 1; step <= 1000; ++step)
      x.curves[i].points.add(step, 3.0 - 0.0025 * step + 0.1 * static_cast<double>(i), 1e-4);
  }
  app.show_experiments();
  ui.frame(app);
  ui.frame(app);
  const ImRect plot = sweep_plot_rect();
  const float y = plot.GetCenter().y;
  const auto x_at = [&](double fraction) {
    return plot.Min.x + static_cast<float>(fraction) * plot.GetWidth();
  };
  const ImU32 first_ratio = ImGui::ColorConvertFloat4ToU32(ImVec4(0.31f, 0.55f, 1.0f, 1.0f));

  ui.drag(app, ImVec2(x_at(0.5), y), ImVec2(x_at(0.75), y));
  REQUIRE(x.curves_zoom.has_value());
  // The plot spans steps 1 to 1000 unzoomed.
  CHECK(x.curves_zoom->first == doctest::Approx(500.5).epsilon(0.01));
  CHECK(x.curves_zoom->last == doctest::Approx(750.25).epsilon(0.01));
  CHECK_FALSE(x.curves_zoom->follows_newest);
  ui.frame(app);
  // The y axis is fitted to the losses of the steps shown: the first ratio's fall over them
  // spans most of the plot's height (unzoomed, a fifth of it).
  const auto [top, bottom] = drawn_extent(first_ratio, plot);
  CHECK(bottom - top >= 0.6f * plot.GetHeight());

  // The wheel zooms out no further than every step; a double click shows every step again.
  ImGui::GetIO().MousePos = ImVec2(x_at(0.5), y);
  ImGui::GetIO().MouseWheel = -20;
  ui.frame(app);
  ImGui::GetIO().MouseWheel = 0;
  CHECK_FALSE(x.curves_zoom.has_value());
  ui.drag(app, ImVec2(x_at(0.8), y), ImVec2(x_at(1.0), y));
  REQUIRE(x.curves_zoom.has_value());
  CHECK(x.curves_zoom->follows_newest);
  // A zoom on the newest steps follows the sweep as its runs go on.
  for (int step = 1001; step <= 1100; ++step) x.curves[1].points.add(step, 0.5, 1e-4);
  ui.frame(app);
  CHECK(x.curves_zoom->last == 1100);
  ui.click(app, ImVec2(x_at(0.5), y));
  ImGui::GetIO().MouseDown[0] = true;
  ui.frame(app);
  ImGui::GetIO().MouseDown[0] = false;
  ui.frame(app);
  CHECK_FALSE(x.curves_zoom.has_value());
}

TEST_CASE(
    "the Experiments window's result plots mark the ratio under the pointer and read it out") {
  HeadlessImGui ui;
  MockRenderer renderer;
  StudioApp app{renderer, options_with("")};
  auto& x = app.state().experiments;
  mae::SweepReport report;
  const std::vector<double> ratios{0.25, 0.5, 0.75, 0.9};
  for (double ratio : ratios) {
    mae::SweepRunResult run;
    run.ratio = ratio;
    run.linear_accuracy = 0.7 + 0.05 * ratio;
    run.knn_accuracy = 0.6 + 0.05 * ratio;
    run.mse_own = 0.8 + ratio;
    run.mse_at_075 = 1.2 - 0.1 * ratio;
    report.runs.push_back(run);
  }
  x.report = report;
  x.show = true;
  ui.frame(app);
  ui.frame(app);
  // The two plots side by side, each on its background; the accuracy plot on the left.
  const ImGuiWindow* window = ImGui::FindWindowByName(kExperimentsWindow);
  REQUIRE(window != nullptr);
  const float middle = window->Pos.x + window->Size.x / 2;
  ImRect accuracy(INFINITY, INFINITY, -INFINITY, -INFINITY);
  for (const auto& v : window->DrawList->VtxBuffer)
    if (v.col == IM_COL32(30, 30, 34, 255) && v.pos.x < middle) accuracy.Add(v.pos);
  REQUIRE(accuracy.GetWidth() > 50);
  const auto x_of = [&](double ratio) {
    return accuracy.Min.x + static_cast<float>((ratio - 0.25) / 0.65) * accuracy.GetWidth();
  };
  // Where the marker is drawn, and whether a tooltip is up.
  const auto marker_at = [&](float pointer_x) {
    ImGui::GetIO().MousePos = ImVec2(pointer_x, accuracy.GetCenter().y);
    ui.frame(app);
    ui.frame(app);
    const ImGuiWindow* tip = ImGui::FindWindowByName("##Tooltip_00");
    CHECK((tip != nullptr && tip->Active));
    // The middle of the marker line's vertices (a line of 1 px has them either side of it).
    float sum = 0;
    int vertices = 0;
    for (const auto& v : ImGui::FindWindowByName(kExperimentsWindow)->DrawList->VtxBuffer)
      if (v.col == IM_COL32(255, 255, 255, 90)) {
        sum += v.pos.x;
        ++vertices;
      }
    REQUIRE(vertices > 0);
    return sum / static_cast<float>(vertices);
  };
  // Nearer 0.75 than 0.5: marked at 0.75; nearer 0.5: at 0.5.
  CHECK(marker_at(x_of(0.7)) == doctest::Approx(x_of(0.75)).epsilon(0.002));
  CHECK(marker_at(x_of(0.55)) == doctest::Approx(x_of(0.5)).epsilon(0.002));
}
