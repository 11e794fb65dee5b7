// Why: the weights a training snapshot hands the explorer are also what a probe of "the model
// on screen" must measure. One record carries them, with the fence after their copies, to
// whichever thread reads them next; on a GPU it orders its own stream after the fence.
#pragma once

#include <memory>
#include <string>

#include "io/safetensors.h"
#include "model/config.h"
#include "train/device_readback.h"

namespace mae::studio {

struct PublishedWeights {
  MaeConfig config;
  NamedTensors weights;                      // copies made on the trainer's device and stream
  std::string source;                        // "training step N"
  std::shared_ptr<const StreamFence> ready;  // marks the end of those copies
};

}  // namespace mae::studio
