// Why: the tiny model, short run and small loader that several suites train, save and
// load with: small enough for a 2-core CPU to step in milliseconds, shaped like fmnist-tiny.
#pragma once

#include "data/batch_loader.h"
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

// A loader of RGB `size` x `size` crops, left unnormalized (mean 0, std 1).
inline mae::LoaderConfig small_test_loader(int64_t batch, uint64_t seed, int64_t size) {
  mae::LoaderConfig lc;
  lc.batch = batch;
  lc.seed = seed;
  lc.augment.out_h = lc.augment.out_w = size;
  lc.mean = {0, 0, 0};
  lc.std = {1, 1, 1};
  return lc;
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
