// Why: the peak lr follows the paper's rule (base lr x effective batch / 256) and warmup is a
// fraction of the steps, so a recipe stays right when its batch or its length changes.
#include "recipe/recipe.h"

#include <cmath>
#include <cstdio>

#include "model/presets.h"

namespace mae {

Recipe preset_recipe(const std::string& preset_name) {
  const Preset& preset = find_preset(preset_name);
  Recipe r;
  r.model = preset.model;
  r.model.norm_pix_loss = preset.recipe.norm_pix;
  r.train.batch = preset.recipe.batch;
  r.train.base_lr = preset.recipe.base_lr;
  r.train.mask_ratio = preset.recipe.mask_ratio;
  r.train.crop_scale_min = preset.recipe.crop_scale_min;
  r.warmup_fraction = preset.recipe.warmup_fraction;
  set_total_steps(r, preset.recipe.steps);
  return r;
}

void set_total_steps(Recipe& recipe, int64_t steps) {
  recipe.train.total_steps = steps;
  recipe.train.warmup_steps =
      static_cast<int64_t>(std::llround(recipe.warmup_fraction * static_cast<double>(steps)));
}

std::string describe_recipe(const MaeConfig& model, const TrainConfig& train) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "batch %lld, base lr %.1e (peak %.1e), %lld steps, warmup %lld, crop scale "
                "%.2f-1, mask ratio %.2f, norm_pix %s",
                static_cast<long long>(train.effective_batch()), train.base_lr, train.peak_lr(),
                static_cast<long long>(train.total_steps),
                static_cast<long long>(train.warmup_steps), train.crop_scale_min, train.mask_ratio,
                model.norm_pix_loss ? "on" : "off");
  return buf;
}

}  // namespace mae
