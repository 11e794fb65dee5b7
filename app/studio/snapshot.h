// Why: the triplet rows the app shows (masked | reconstruction | + visible | original) for
// a fixed evaluation batch and mask seed, made from any model: the trainer's or a loaded
// checkpoint's.
#pragma once

#include <string>
#include <vector>

#include "image_view.h"
#include "model/mae_model.h"

namespace mae::studio {

struct TripletRow {
  ImageView masked, reconstruction, pasted, original;
};

struct TrainingSnapshot {
  int64_t step = 0;
  double loss = 0.0;
  std::string label;  // "step 120" or the checkpoint it came from
  std::vector<TripletRow> rows;
};

// Reconstructs `images` ((C,H,W) in [0,1]) with a fixed mask seed: comparable frames.
TrainingSnapshot make_snapshot(MaeModel& model, const std::vector<at::Tensor>& images, double ratio,
                               uint64_t mask_seed, int64_t step, double loss,
                               const std::string& label);

}  // namespace mae::studio
