// Why: the triplet rows the app shows (masked | reconstruction | + visible | original) for
// a fixed evaluation batch and mask seed, made from any model: the trainer's or a loaded
// checkpoint's. The trainer's are queued on its device and come back behind an event, so
// that neither the trainer thread nor the UI thread waits for a GPU to make them.
#pragma once

#include <string>
#include <vector>

#include "image_view.h"
#include "model/mae_model.h"
#include "train/device_readback.h"

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

// A snapshot whose pictures are still on their way from the model's device.
struct PendingSnapshot {
  TrainingSnapshot snapshot;  // step, loss and label; no rows yet
  size_t rows = 0;
  DeviceReadback pictures;  // per row: the four views' pixels, the mask and the patch errors
  // The step's own loss was still on its way when it was queued (snapshot.loss is an older
  // step's until the step's metrics come).
  bool awaiting_loss = false;
};

// Reconstructs `images` ((C,H,W) in [0,1]) with a fixed mask seed (comparable frames),
// queued on the model's device; nothing waits for it.
PendingSnapshot queue_snapshot(MaeModel& model, const std::vector<at::Tensor>& images, double ratio,
                               uint64_t mask_seed, int64_t step, double loss,
                               const std::string& label);
// The snapshot, once its pictures have landed (waits for them; poll pictures.ready() first
// to never wait).
TrainingSnapshot finish_snapshot(PendingSnapshot& pending);

// Both at once.
TrainingSnapshot make_snapshot(MaeModel& model, const std::vector<at::Tensor>& images, double ratio,
                               uint64_t mask_seed, int64_t step, double loss,
                               const std::string& label);

}  // namespace mae::studio
