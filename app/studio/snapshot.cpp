// Why: queueing a snapshot and finishing it are split at the readback, so the trainer queues one
// and picks it up a step later; make_snapshot does both for a model that is not training.
#include "snapshot.h"

#include <ATen/ATen.h>

#include "infer/reconstruct.h"

namespace mae::studio {

namespace {
constexpr size_t kTensorsPerRow = 6;  // masked, reconstruction, pasted, original, mask, error
}

PendingSnapshot queue_snapshot(MaeModel& model, const std::vector<at::Tensor>& images, double ratio,
                               uint64_t mask_seed, int64_t step, double loss,
                               const std::string& label) {
  MaskRequest request;
  request.ratio = ratio;
  std::vector<at::Tensor> pictures;
  for (size_t i = 0; i < images.size(); ++i) {
    request.seed = mask_seed + i;
    const auto r = reconstruct_queued(model, images[i], request);
    for (const auto& image : {r.masked, r.reconstruction, r.pasted, r.original})
      pictures.push_back(view_pixels(image));
    pictures.push_back(r.mask);
    pictures.push_back(r.patch_error);
  }
  TrainingSnapshot meta;
  meta.step = step;
  meta.loss = loss;
  meta.label = label;
  return {std::move(meta), images.size(), DeviceReadback(pictures)};
}

TrainingSnapshot finish_snapshot(PendingSnapshot& pending) {
  // Copies out of the readback's page-locked buffers, which are scarce, into ordinary memory
  // for the snapshot history.
  const auto& host = pending.pictures.wait();
  auto own = [&](size_t i) { return pending.pictures.page_locked() ? host[i].clone() : host[i]; };
  TrainingSnapshot s = pending.snapshot;
  for (size_t row = 0; row < pending.rows; ++row) {
    const size_t at = row * kTensorsPerRow;
    const auto mask = own(at + 4), error = own(at + 5);
    s.rows.push_back({view_of_pixels(own(at), mask), view_of_pixels(own(at + 1), mask, error),
                      view_of_pixels(own(at + 2), mask, error), view_of_pixels(own(at + 3))});
  }
  return s;
}

TrainingSnapshot make_snapshot(MaeModel& model, const std::vector<at::Tensor>& images, double ratio,
                               uint64_t mask_seed, int64_t step, double loss,
                               const std::string& label) {
  auto pending = queue_snapshot(model, images, ratio, mask_seed, step, loss, label);
  return finish_snapshot(pending);
}

}  // namespace mae::studio
