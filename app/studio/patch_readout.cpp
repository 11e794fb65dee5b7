// Why: the hovered patch's numbers, as text the explorer shows and tests read.
#include "patch_readout.h"

#include <ATen/ATen.h>

#include <cstdio>

namespace mae::studio {

std::string patch_readout(const ImageView& view, int row, int col, const std::string& space,
                          float heat_max) {
  const bool removed = view.mask.defined() && view.mask[row][col].item<float>() > 0.5f;
  std::string text = "patch row " + std::to_string(row) + ", column " + std::to_string(col) +
                     (removed ? ": removed; the decoder filled it in"
                              : ": visible; the encoder saw it (the loss leaves it out)");
  char number[32];
  if (view.error.defined()) {
    std::snprintf(number, sizeof number, "%.3f", view.error[row][col].item<float>());
    text += "\nerror " + std::string(number) + " (mean squared, in " + space + ")";
  }
  if (heat_max > 0) {
    std::snprintf(number, sizeof number, "%.2g", heat_max);
    text += "\nheat map: 0 blue, " + std::string(number) + " and above yellow";
  }
  return text;
}

}  // namespace mae::studio
