// Why: results that leave the app (sweep.png, a probe's confusion matrix, slides) need
// figures with axes and labels drawn without a window or GL: small raster pictures with
// stb_easy_font text.
#pragma once

#include <ATen/core/Tensor.h>

#include <array>
#include <string>
#include <vector>

namespace mae {

struct ChartSeries {
  std::string name;
  std::array<float, 3> color{0.1f, 0.3f, 0.8f};
  std::vector<double> x, y;
  bool dashed = false;  // references drawn as dashed lines
  bool markers = true;  // a square on every point
};

struct Chart {
  std::string title, x_label, y_label;
  std::vector<ChartSeries> series;
};

// (3, height, width) float in [0, 1]: white background, axes with round labelled ticks,
// the series, and a legend in rows below the x label. `scale` 2 draws text, lines and margins
// twice as large, for a picture twice as wide that reads on a slide as the first does on a
// screen.
at::Tensor render_chart(const Chart& chart, int64_t width, int64_t height, int scale = 1);

// A confusion matrix (K, K) of counts, rows = true class, columns = prediction: each cell
// shaded by its share of the row (green on the diagonal, red off it) with the percentage
// written in it, class names down the left and class numbers across the top.
at::Tensor render_confusion(const at::Tensor& confusion,
                            const std::vector<std::string>& class_names, int64_t cell = 34);

}  // namespace mae
