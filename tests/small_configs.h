// Why: the tiny model and short run that several suites train and save: small enough for
// a 2-core CPU to step in milliseconds, shaped like the fmnist-tiny preset.
#pragma once

#include "model/presets.h"
#include "recipe/train_config.h"

inline mae::MaeConfig small_test_model(int64_t depth = 2) {
  mae::MaeConfig c = mae::find_preset("fmnist-tiny").model;
  c.img_h = c.img_w = 16;
  c.embed_dim = 32;
  c.depth = depth;
  c.num_heads = 2;
  c.dec_dim = 32;
  c.dec_depth = 1;
  c.dec_heads = 2;
  return c;
}

inline mae::TrainConfig small_test_run(int64_t steps, uint64_t seed) {
  mae::TrainConfig t;
  t.batch = 8;
  t.total_steps = steps;
  t.lr = 1e-3;
  t.warmup_steps = 2;
  t.seed = seed;
  t.loader_workers = 2;
  return t;
}
