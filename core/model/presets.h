// Why: named architectures users pick by name: the paper's ViT-B/L/H and small presets that
// train usefully on a 2-core CPU. Each carries the recipe defaults that suit it
// (train/recipe.h turns them into a complete training recipe).
#pragma once

#include <string>
#include <vector>

#include "model/config.h"

namespace mae {

struct RecipeDefaults {
  int64_t batch = 256;
  double base_lr = 1.5e-4;        // lr = base_lr * effective_batch / 256
  double warmup_fraction = 0.05;  // 40 of 800 epochs in the paper
  double mask_ratio = 0.75;
  double crop_scale_min = 0.2;  // RandomResizedCrop(scale=(min, 1))
  int64_t steps = 1000;
  bool norm_pix = false;  // per-patch normalized targets (the paper's recipe for ViTs)
};

struct Preset {
  std::string name;
  std::string description;
  MaeConfig model;
  RecipeDefaults recipe;
};

const std::vector<Preset>& all_presets();
// Throws std::invalid_argument naming the known presets.
const Preset& find_preset(const std::string& name);

}  // namespace mae
