// Why: see snapshot.h.
#include "snapshot.h"

#include "infer/reconstruct.h"

namespace mae::studio {

TrainingSnapshot make_snapshot(MaeModel& model, const std::vector<at::Tensor>& images, double ratio,
                               uint64_t mask_seed, int64_t step, double loss,
                               const std::string& label) {
  TrainingSnapshot s;
  s.step = step;
  s.loss = loss;
  s.label = label;
  MaskRequest request;
  request.ratio = ratio;
  for (size_t i = 0; i < images.size(); ++i) {
    request.seed = mask_seed + i;
    auto r = reconstruct(model, images[i], request);
    s.rows.push_back({make_view(r.masked, r.mask),
                      make_view(r.reconstruction, r.mask, r.patch_error),
                      make_view(r.pasted, r.mask, r.patch_error), make_view(r.original)});
  }
  return s;
}

}  // namespace mae::studio
