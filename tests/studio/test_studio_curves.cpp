// Why: a run's curve grows point by point for as long as the run trains, and the Curves panel
// draws it every frame from its kept extent and a thinned copy; these cases pin that the extent
// and the smoothing are those of the points, and that a one-step spike in a quarter of a
// million steps still reaches the top of the plot (taking every n-th step drew it flat).
#include <doctest/doctest.h>
#include <imgui_internal.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "studio_harness.h"

using namespace mae::studio;
using namespace mae::studio::testing;

TEST_CASE("a loss curve's extents and smoothed loss are those of its points") {
  LossCurve curve;
  std::mt19937 random(3);
  std::uniform_real_distribution<double> loss(0.2, 1.5), lr(1e-5, 1e-3);
  double average = 0, weight = 0;
  for (int step = 10; step < 1010; ++step) {
    const double l = loss(random);
    curve.add(step, l, lr(random));
    average = 0.9 * average + 0.1 * l;
    weight = 0.9 * weight + 0.1;
    CHECK(curve.smoothed.back() == doctest::Approx(average / weight).epsilon(1e-12));
  }
  CHECK(curve.smoothed.front() == doctest::Approx(curve.loss.front()));
  CHECK(curve.step_range.lo == 10);
  CHECK(curve.step_range.hi == 1009);
  for (const auto& [values, range] :
       {std::pair{&curve.loss, curve.loss_range}, std::pair{&curve.smoothed, curve.smoothed_range},
        std::pair{&curve.lr, curve.lr_range}}) {
    CHECK(range.lo == *std::min_element(values->begin(), values->end()));
    CHECK(range.hi == *std::max_element(values->begin(), values->end()));
  }
  CHECK(curve.smoothed_at(500.5) == curve.smoothed[491]);
  CHECK_FALSE(curve.smoothed_at(5).has_value());
  curve.clear();
  CHECK(curve.empty());
  CHECK(curve.loss_range.empty());
  curve.add(1, 0.7, 1e-4);  // the smoothing starts over too
  CHECK(curve.smoothed.front() == doctest::Approx(0.7));
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
  const ImGuiWindow* window = ImGui::FindWindowByName("Curves");
  REQUIRE(window != nullptr);
  // The plot's top is the top of its background; the raw loss is drawn in its own colour.
  float plot_top = INFINITY, loss_top = INFINITY;
  int loss_vertices = 0;
  for (const auto& v : window->DrawList->VtxBuffer) {
    if (v.col == IM_COL32(25, 25, 30, 255)) plot_top = std::min(plot_top, v.pos.y);
    if (v.col == IM_COL32(120, 170, 255, 140)) {
      loss_top = std::min(loss_top, v.pos.y);
      ++loss_vertices;
    }
  }
  REQUIRE(std::isfinite(plot_top));
  REQUIRE(loss_vertices > 0);
  CHECK(loss_top <= plot_top + 2);
  // Four points per pixel column at most, each a few vertices: not one per step.
  CHECK(loss_vertices < 4 * 4 * static_cast<int>(window->Size.x));
}
