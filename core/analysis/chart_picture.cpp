// Why: stb_easy_font turns text into axis-aligned quads, which are
// filled as rectangles; lines are thick Bresenham segments. Enough for readable figures.
#include "analysis/chart_picture.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <stb_easy_font.h>
#pragma GCC diagnostic pop

#include "util/axis_ticks.h"

namespace mae {

namespace {
using Color = std::array<float, 3>;
constexpr Color kBlack{0, 0, 0};
constexpr Color kGrey{0.85f, 0.85f, 0.85f};

class Canvas {
 public:
  Canvas(int64_t w, int64_t h) : w_(w), h_(h), pixels_(static_cast<size_t>(w * h * 3), 1.0f) {}

  void fill(int64_t x0, int64_t y0, int64_t x1, int64_t y1, const Color& c) {
    for (int64_t y = std::max<int64_t>(0, y0); y < std::min(h_, y1); ++y)
      for (int64_t x = std::max<int64_t>(0, x0); x < std::min(w_, x1); ++x)
        for (int k = 0; k < 3; ++k) pixels_[static_cast<size_t>((y * w_ + x) * 3 + k)] = c[k];
  }

  void line(double x0, double y0, double x1, double y1, const Color& c, int thick, bool dashed) {
    const double length = std::hypot(x1 - x0, y1 - y0);
    const int64_t steps = std::max<int64_t>(1, static_cast<int64_t>(length));
    for (int64_t i = 0; i <= steps; ++i) {
      if (dashed && (i / (3 * thick)) % 2 == 1) continue;
      const double t = static_cast<double>(i) / static_cast<double>(steps);
      const auto x = static_cast<int64_t>(std::lround(x0 + t * (x1 - x0)));
      const auto y = static_cast<int64_t>(std::lround(y0 + t * (y1 - y0)));
      fill(x - thick / 2, y - thick / 2, x - thick / 2 + thick, y - thick / 2 + thick, c);
    }
  }

  // Text with its top-left corner at (x, y), each font pixel drawn as scale x scale.
  void text(int64_t x, int64_t y, const std::string& s, const Color& c, int scale = 1) {
    static thread_local std::vector<char> buffer(64 * 1024);
    const int quads = stb_easy_font_print(0, 0, const_cast<char*>(s.c_str()), nullptr,
                                          buffer.data(), static_cast<int>(buffer.size()));
    for (int q = 0; q < quads; ++q) {
      const float* v = reinterpret_cast<const float*>(buffer.data() + q * 64);
      // Vertices are 16 bytes (x, y, z, rgba); corners 0 and 2 span the quad.
      const float qx0 = v[0], qy0 = v[1], qx1 = v[8], qy1 = v[9];
      fill(x + static_cast<int64_t>(qx0 * scale), y + static_cast<int64_t>(qy0 * scale),
           x + static_cast<int64_t>(qx1 * scale), y + static_cast<int64_t>(qy1 * scale), c);
    }
  }
  static int64_t text_width(const std::string& s, int scale = 1) {
    return stb_easy_font_width(const_cast<char*>(s.c_str())) * scale;
  }

  at::Tensor tensor() const {
    return at::from_blob(const_cast<float*>(pixels_.data()), {h_, w_, 3}, at::kFloat)
        .permute({2, 0, 1})
        .clone();
  }

 private:
  int64_t w_, h_;
  std::vector<float> pixels_;
};

struct Range {
  double lo = 0, hi = 1;
};

Range data_range(const Chart& chart, bool x_axis) {
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& s : chart.series)
    for (double v : x_axis ? s.x : s.y)
      if (std::isfinite(v)) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
  if (!std::isfinite(lo)) return {};
  if (hi - lo < 1e-12) {
    lo -= 0.5;
    hi += 0.5;
  }
  const double pad = 0.06 * (hi - lo);
  return {lo - pad, hi + pad};
}

std::string class_label(const std::vector<std::string>& names, int64_t i) {
  const auto index = static_cast<size_t>(i);
  return std::to_string(i) + (index < names.size() ? " " + names[index] : "");
}

}  // namespace

at::Tensor render_chart(const Chart& chart, int64_t width, int64_t height, int scale) {
  Canvas canvas(width, height);
  const int64_t u = std::max(1, scale);  // one layout pixel, in picture pixels
  const int64_t left = 64 * u, right = width - 14 * u, top = 46 * u, bottom = height - 74 * u;
  const int text = static_cast<int>(u);
  const Range xr = data_range(chart, true), yr = data_range(chart, false);
  auto px = [&](double x) {
    return static_cast<double>(left) +
           (x - xr.lo) / (xr.hi - xr.lo) * static_cast<double>(right - left);
  };
  auto py = [&](double y) {
    return static_cast<double>(bottom) -
           (y - yr.lo) / (yr.hi - yr.lo) * static_cast<double>(bottom - top);
  };
  const int thin = text, thick = 2 * text;
  for (const auto& tick : linear_ticks(xr.lo, xr.hi, 8)) {
    const auto x = static_cast<int64_t>(px(tick.value));
    canvas.line(px(tick.value), top, px(tick.value), bottom, kGrey, thin, false);
    canvas.text(x - Canvas::text_width(tick.label, text) / 2, bottom + 6 * u, tick.label, kBlack,
                text);
  }
  for (const auto& tick : linear_ticks(yr.lo, yr.hi, 6)) {
    const auto y = static_cast<int64_t>(py(tick.value));
    canvas.line(left, py(tick.value), right, py(tick.value), kGrey, thin, false);
    canvas.text(left - 6 * u - Canvas::text_width(tick.label, text), y - 4 * u, tick.label, kBlack,
                text);
  }
  canvas.line(left, bottom, right, bottom, kBlack, thin, false);
  canvas.line(left, top, left, bottom, kBlack, thin, false);
  canvas.text((left + right - Canvas::text_width(chart.title, 2 * text)) / 2, 8 * u, chart.title,
              kBlack, 2 * text);
  canvas.text((left + right - Canvas::text_width(chart.x_label, text)) / 2, bottom + 24 * u,
              chart.x_label, kBlack, text);
  canvas.text(4 * u, top - 13 * u, chart.y_label, kBlack, text);
  for (const auto& s : chart.series) {
    for (size_t i = 0; i + 1 < s.x.size(); ++i)
      canvas.line(px(s.x[i]), py(s.y[i]), px(s.x[i + 1]), py(s.y[i + 1]), s.color, thick, s.dashed);
    if (s.markers)
      for (size_t i = 0; i < s.x.size(); ++i) {
        const auto x = static_cast<int64_t>(px(s.x[i])), y = static_cast<int64_t>(py(s.y[i]));
        canvas.fill(x - 3 * u, y - 3 * u, x + 4 * u, y + 4 * u, s.color);
      }
  }
  // The legend below the axis label, in rows: it never hides a line.
  int64_t legend_x = left, legend_y = bottom + 40 * u;
  for (const auto& s : chart.series) {
    const int64_t w = (34 + 16) * u + Canvas::text_width(s.name, text);
    if (legend_x + w > right && legend_x > left) {
      legend_x = left;
      legend_y += 14 * u;
    }
    canvas.line(legend_x, legend_y + 4 * u, legend_x + 20 * u, legend_y + 4 * u, s.color, thick,
                s.dashed);
    canvas.text(legend_x + 26 * u, legend_y, s.name, kBlack, text);
    legend_x += w;
  }
  return canvas.tensor();
}

at::Tensor render_confusion(const at::Tensor& confusion,
                            const std::vector<std::string>& class_names, int64_t cell) {
  auto counts = confusion.to(at::kDouble).contiguous();
  const int64_t k = counts.size(0);
  auto share = counts / counts.sum(1, true).clamp_min(1.0);
  auto a = share.accessor<double, 2>();
  int64_t name_width = 0;
  for (int64_t i = 0; i < k; ++i)
    name_width = std::max(name_width, Canvas::text_width(class_label(class_names, i)));
  // The headings side by side, each whole, however short the class names and few the classes.
  const std::string rows = "true class", columns = "predicted class ->";
  const int64_t left = std::max(name_width, Canvas::text_width(rows)) + 12, top = 40;
  Canvas canvas(left + std::max(k * cell, Canvas::text_width(columns)) + 8, top + k * cell + 8);
  canvas.text(left, 4, columns, kBlack);
  canvas.text(4, 4, rows, kBlack);
  for (int64_t j = 0; j < k; ++j) {
    const auto label = std::to_string(j);
    canvas.text(left + j * cell + (cell - Canvas::text_width(label)) / 2, top - 14, label, kBlack);
  }
  for (int64_t i = 0; i < k; ++i) {
    canvas.text(4, top + i * cell + cell / 2 - 4, class_label(class_names, i), kBlack);
    for (int64_t j = 0; j < k; ++j) {
      const float v = static_cast<float>(a[i][j]);
      const Color shade = i == j ? Color{1 - 0.8f * v, 1 - 0.25f * v, 1 - 0.8f * v}
                                 : Color{1 - 0.1f * v, 1 - 0.85f * v, 1 - 0.85f * v};
      const int64_t x = left + j * cell, y = top + i * cell;
      canvas.fill(x, y, x + cell, y + cell, kGrey);
      canvas.fill(x + 1, y + 1, x + cell, y + cell, shade);
      if (v >= 0.005f) {
        char text[8];
        std::snprintf(text, sizeof text, "%.0f", 100.0 * v);
        canvas.text(x + (cell - Canvas::text_width(text)) / 2, y + cell / 2 - 4, text,
                    v > 0.6f ? Color{1, 1, 1} : kBlack);
      }
    }
  }
  return canvas.tensor();
}

}  // namespace mae
