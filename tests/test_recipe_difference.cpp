// Why: the Curves panel names each earlier run by how its recipe differed from the current
// run's; a field left out, or printed at a precision that hides the change, would name two
// different runs "same recipe".
#include <doctest/doctest.h>

#include "recipe/recipe.h"
#include "recipe/recipe_difference.h"

using namespace mae;

TEST_CASE("a recipe's difference names the fields that differ, with the run's values") {
  const Recipe base = preset_recipe("fmnist-tiny");
  CHECK(recipe_difference(base, base) == "same recipe");
  Recipe run = base;
  run.train.mask_ratio = 0.9;
  CHECK(recipe_difference(run, base) == "ratio 0.90");
  CHECK(recipe_difference(base, run) == "ratio 0.75");
  run.model.norm_pix_loss = !base.model.norm_pix_loss;
  run.train.batch *= 2;
  CHECK(recipe_difference(run, base) == "ratio 0.90, norm_pix on, batch 256");
  run.train.seed = 7;
  run.train.mask_strategy = MaskStrategy::Block;
  CHECK(recipe_difference(run, base) == "ratio 0.90, block masking, norm_pix on and 2 more");
  CHECK(recipe_difference(run, base, 10) ==
        "ratio 0.90, block masking, norm_pix on, batch 256, seed 7");
}

TEST_CASE("a recipe's difference shows a change below the usual precision") {
  const Recipe base = preset_recipe("fmnist-tiny");
  Recipe run = base;
  run.train.mask_ratio = base.train.mask_ratio + 0.001;
  CHECK(recipe_difference(run, base) == "ratio 0.751");
  run = base;
  run.train.base_lr = 3.01e-3;  // against 3.0e-3
  CHECK(recipe_difference(run, base) == "base lr 0.00301");
  run.train.lr = 2e-3;  // set outright: the lr itself, against the preset's 1.5e-3 at batch 128
  CHECK(recipe_difference(run, base) == "lr 2.0e-03");
  run = base;
  run.train.data = "/home/me/photos/";
  run.train.device = "cuda";
  run.model = preset_recipe("rgb-small").model;
  CHECK(recipe_difference(run, base, 5) == "rgb-small, data photos, on cuda, bf16");
}
