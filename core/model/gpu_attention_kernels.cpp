// Why: torch's kernel choice is one switch for the whole process, so MAE_ATTENTION is applied once,
// before the first GPU forward, and a misspelt kernel name stops the run rather than being ignored.
#include "model/gpu_attention_kernels.h"

#include <ATen/Context.h>

#include <cstdlib>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>

namespace mae {

namespace {
void apply(const std::string& value) {
  bool flash = false, efficient = false, cudnn = false, math = false;
  std::istringstream names(value);
  for (std::string name; std::getline(names, name, ',');) {
    if (name == "flash")
      flash = true;
    else if (name == "efficient")
      efficient = true;
    else if (name == "cudnn")
      cudnn = true;
    else if (name == "math")
      math = true;
    else
      throw std::invalid_argument("MAE_ATTENTION=" + value + ": \"" + name +
                                  "\" is none of flash, efficient, cudnn, math");
  }
  auto& context = at::globalContext();
  context.setSDPUseFlash(flash);
  context.setSDPUseMemEfficient(efficient);
  context.setSDPUseCuDNN(cudnn);
  context.setSDPUseMath(math);
}
}  // namespace

void limit_gpu_attention_kernels() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* value = std::getenv("MAE_ATTENTION");
    if (value && *value) apply(value);
  });
}

std::string gpu_attention_kernel_choice() {
  const char* value = std::getenv("MAE_ATTENTION");
  return value && *value ? std::string(value) + " (MAE_ATTENTION)" : "torch's choice";
}

}  // namespace mae
