// Why: the step-through view for teaching: one image through the MAE pipeline stage by stage,
// each with the tensor shape the code sees, a sentence on what happened, and a picture,
// computed with the model's own functions so what is shown is what runs.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "infer/reconstruct.h"
#include "infer/stage_readouts.h"

namespace mae {

struct PipelineStage {
  std::string name;      // "patchify"
  std::string shape;     // "(1, 49, 16)"
  std::string explain;   // one or two sentences
  at::Tensor picture;    // (3, H, W) float in [0, 1], at least ~224 px on its longer side
  StageReadout readout;  // what a point of the picture shows: pixel, patch, token, value
};

// input, patchify, embed + position, noise, shuffle, keep, encoder, mask tokens appended,
// unshuffled, decoder output, per-patch loss.
std::vector<PipelineStage> trace_pipeline(MaeModel& model, const at::Tensor& image,
                                          const MaskRequest& request);

// Writes 01-input.png, 02-patchify.png, ... and stages.txt (names, shapes, sentences) into
// `folder` (created); returns the number of files written.
int export_pipeline_trace(const std::vector<PipelineStage>& stages, const std::string& folder);

}  // namespace mae
