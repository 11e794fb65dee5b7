// Why: a teacher pointing at a step-through picture wants its numbers: which pixel, patch or
// token lies under the pointer, what value it holds and what became of it. Each stage carries
// a readout built here from the numbers its picture was drawn from, so what is read out is
// exactly what is shown.
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <string>
#include <vector>

namespace mae {

// What the point (u, v) of a stage's picture shows, u and v in [0, 1) from its top left;
// empty outside the picture.
using StageReadout = std::function<std::string(double u, double v)>;

// "patch 41 (row 5, column 1)" for patch `index` of a grid `grid_w` patches wide.
std::string patch_name(int64_t index, int64_t grid_w);

// A picture of `rows` x `cols` cells, each with its own text; `gap` is the cells' side in
// pixels where a 1-px gap frames each (patch grids), 0 where cells touch (per-patch maps).
StageReadout cell_readout(std::vector<std::string> cells, int64_t rows, int64_t cols,
                          int64_t gap = 0);

// A token matrix (tokens, channels) drawn in blue-white-red, one text per token row; reads
// out the channel and its value with the colour scale's ends.
StageReadout matrix_readout(const at::Tensor& values, std::vector<std::string> row_texts);

// An image (C, H, W) in [0, 1] cut into patches of `patch` pixels, with one text per patch;
// reads out the pixel's place and value, then its patch's text. `normalized`, when defined,
// is the same image as the model sees it, read out beside it.
StageReadout image_readout(const at::Tensor& image, int64_t patch,
                           std::vector<std::string> patch_texts, const at::Tensor& normalized = {});

}  // namespace mae
