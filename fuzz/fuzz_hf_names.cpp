// Why: tensor names and shapes from a file decide the architecture we build. The input is
// read as lines "name rank d0 d1 ..."; name mapping both ways, architecture inference and
// the shape check must end in a result or a CheckpointError.
#include <torch/torch.h>

#include <cstdint>
#include <sstream>
#include <string>

#include "io/authors_pth.h"
#include "io/hf_vitmae.h"
#include "model/state_shapes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream lines(std::string(reinterpret_cast<const char*>(data), size));
  mae::NamedTensors tensors;
  std::string line;
  while (std::getline(lines, line) && tensors.size() < 512) {
    std::istringstream fields(line);
    std::string name;
    int rank = 0;
    fields >> name >> rank;
    if (name.empty() || rank < 0 || rank > 4) continue;
    std::vector<int64_t> shape;
    int64_t numel = 1;
    for (int d = 0; d < rank; ++d) {
      int64_t n = 1;
      fields >> n;
      n = std::clamp<int64_t>(n, 0, 4096);
      shape.push_back(n);
      numel *= n;
    }
    if (numel > (1 << 16)) continue;
    tensors.emplace_back(name, torch::zeros(shape));
  }
  try {
    auto ours = mae::from_hf_names(tensors);
    mae::to_hf_names(ours);
  } catch (const mae::CheckpointError&) {
  }
  try {
    const auto arch = mae::infer_architecture(tensors, "fuzz.pth", -1);
    mae::state_misfit(arch.config, tensors);
  } catch (const mae::CheckpointError&) {
  }
  return 0;
}
