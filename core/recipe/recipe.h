// Why: a preset names an architecture and the recipe that trains it. The CLI,
// `mae-studio --preset` and the app's Training form all take the recipe from this one
// function, so choosing rgb-small anywhere trains the same thing.
#pragma once

#include <string>

#include "model/config.h"
#include "recipe/train_config.h"

namespace mae {

struct Recipe {
  MaeConfig model;             // architecture, norm_pix_loss
  TrainConfig train;           // batch, base lr, steps, warmup, crop minimum, mask ratio
  double warmup_fraction = 0;  // warmup_steps / total_steps, kept when steps change
};

// The preset's complete recipe. Throws std::invalid_argument naming the known presets.
Recipe preset_recipe(const std::string& preset_name);

// Sets the number of optimizer steps and the warmup that goes with it.
void set_total_steps(Recipe& recipe, int64_t steps);

// "batch 64, base lr 1.5e-03 (peak 3.8e-04), 2000 steps, warmup 100, crop scale 0.20-1,
// mask ratio 0.75, norm_pix off".
std::string describe_recipe(const MaeConfig& model, const TrainConfig& train);

}  // namespace mae
