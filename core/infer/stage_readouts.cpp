// Why: the builders copy their numbers to plain vectors, so a readout
// costs a few array reads per frame and may be called from any thread.
#include "infer/stage_readouts.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdio>
#include <memory>

namespace mae {

namespace {
bool inside(double u, double v) { return u >= 0 && v >= 0 && u < 1 && v < 1; }

int64_t cell_of(double fraction, int64_t count) {
  return std::clamp<int64_t>(static_cast<int64_t>(fraction * static_cast<double>(count)), 0,
                             count - 1);
}

// The cell of `count` under `fraction`: cells of `gap` pixels framed by 1-px lines, or, with
// no gap, equal shares of the picture.
int64_t framed_cell_of(double fraction, int64_t count, int64_t gap) {
  if (gap <= 0) return cell_of(fraction, count);
  const double pixels = fraction * static_cast<double>(count * (gap + 1) + 1);
  return std::clamp<int64_t>(static_cast<int64_t>((pixels - 1) / static_cast<double>(gap + 1)), 0,
                             count - 1);
}

// A tensor's values as floats on the CPU, in memory order, shared by the readout's copies.
std::shared_ptr<const std::vector<float>> flat(const at::Tensor& t) {
  const auto c = t.to(at::kCPU, at::kFloat).contiguous();
  return std::make_shared<const std::vector<float>>(c.data_ptr<float>(),
                                                    c.data_ptr<float>() + c.numel());
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", value);
  return text;
}

std::string channel_values(const std::vector<float>& v, int64_t channels, int64_t plane,
                           int64_t at) {
  std::string text;
  for (int64_t c = 0; c < channels; ++c) {
    if (c > 0) text += ' ';
    text += number(v[static_cast<size_t>(c * plane + at)]);
  }
  return text;
}
}  // namespace

std::string patch_name(int64_t index, int64_t grid_w) {
  return "patch " + std::to_string(index) + " (row " + std::to_string(index / grid_w) +
         ", column " + std::to_string(index % grid_w) + ")";
}

StageReadout cell_readout(std::vector<std::string> cells, int64_t rows, int64_t cols, int64_t gap) {
  return [cells = std::move(cells), rows, cols, gap](double u, double v) -> std::string {
    if (!inside(u, v)) return {};
    const auto i =
        static_cast<size_t>(framed_cell_of(v, rows, gap) * cols + framed_cell_of(u, cols, gap));
    return i < cells.size() ? cells[i] : std::string();
  };
}

StageReadout matrix_readout(const at::Tensor& values, std::vector<std::string> row_texts) {
  const int64_t rows = values.size(0), cols = values.size(1);
  const auto v = flat(values);
  const double scale = values.abs().max().item<double>();
  return
      [v, rows, cols, scale, row_texts = std::move(row_texts)](double u, double w) -> std::string {
        if (!inside(u, w)) return {};
        const int64_t row = cell_of(w, rows), col = cell_of(u, cols);
        return "row " + std::to_string(row) + ": " + row_texts.at(static_cast<size_t>(row)) +
               "\nchannel " + std::to_string(col) + " of " + std::to_string(cols) + ": " +
               number((*v)[static_cast<size_t>(row * cols + col)]) + "\ncolours: blue -" +
               number(scale) + ", white 0, red +" + number(scale);
      };
}

StageReadout image_readout(const at::Tensor& image, int64_t patch,
                           std::vector<std::string> patch_texts, const at::Tensor& normalized) {
  const int64_t channels = image.size(0), h = image.size(1), w = image.size(2);
  const auto pixels = flat(image);
  const auto model_sees = normalized.defined() ? flat(normalized) : nullptr;
  return [=, patch_texts = std::move(patch_texts)](double u, double v) -> std::string {
    if (!inside(u, v)) return {};
    const int64_t x = cell_of(u, w), y = cell_of(v, h);
    std::string text = "pixel (x " + std::to_string(x) + ", y " + std::to_string(y) + ") of " +
                       std::to_string(w) + "x" + std::to_string(h) + ": " +
                       channel_values(*pixels, channels, h * w, y * w + x) +
                       (channels == 3 ? " (red green blue, 0 to 1)" : " (0 to 1)");
    if (model_sees)
      text += "\nnormalised, as the model sees it: " +
              channel_values(*model_sees, channels, h * w, y * w + x);
    const auto p = static_cast<size_t>((y / patch) * (w / patch) + x / patch);
    if (p < patch_texts.size()) text += "\n" + patch_texts[p];
    return text;
  };
}

}  // namespace mae
