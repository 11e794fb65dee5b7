// Why: see gpu_fusions.h.
#include "model/gpu_fusions.h"

#include <cstdlib>
#include <sstream>
#include <string>

namespace mae {

namespace {
const char* name_of(GpuFusion fusion) {
  switch (fusion) {
    case GpuFusion::norm:
      return "norm";
    case GpuFusion::casts:
      return "casts";
    case GpuFusion::bias:
      return "bias";
  }
  return "";
}
}  // namespace

bool gpu_fusion_on(GpuFusion fusion) {
  const char* unfused = std::getenv("MAE_UNFUSED");
  if (!unfused) return true;
  std::istringstream names(unfused);
  for (std::string name; std::getline(names, name, ',');)
    if (name == "all" || name == name_of(fusion)) return false;
  return true;
}

}  // namespace mae
