// Why: two loss curves side by side mean something only with what set their runs apart. The
// whole recipe of each is a paragraph; the few fields in which one run differed from another
// fit in a legend ("ratio 0.90, batch 256"), and are what the eye compares.
#pragma once

#include <string>

#include "recipe/recipe.h"

namespace mae {

// The fields of `run` that differ from `other`, with `run`'s values: "ratio 0.90, norm_pix on";
// at most `max_fields`, then "and N more"; "same recipe" when none differ.
std::string recipe_difference(const Recipe& run, const Recipe& other, int max_fields = 3);

}  // namespace mae
