// Why: the error heat map says which patches the model found hard, but not by how much; a
// teacher pointing at one wants its number. Hovering a patch of the explorer's reconstruction
// reads out its place, whether it was removed, and its error on the heat map's scale.
#pragma once

#include <string>

#include "image_view.h"

namespace mae::studio {

// The readout for patch (row, col) of a view with mask and error grids; `space` names where
// the error is measured (error_space()); `heat_max` > 0 adds the heat map's scale.
std::string patch_readout(const ImageView& view, int row, int col, const std::string& space,
                          float heat_max);

}  // namespace mae::studio
