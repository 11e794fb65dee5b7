// Why: torch's kernel choice is one switch for the whole process, so MAE_ATTENTION is applied once,
// before the first GPU forward; a misspelt kernel name is caught where a program starts
// (tuning_variables.h), not in the middle of a forward.
#include "model/gpu_attention_kernels.h"

#include <ATen/Context.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <mutex>
#include <sstream>
#include <string>

namespace mae {

namespace {
constexpr const char* kKernels[] = {"flash", "efficient", "cudnn", "math"};

void apply(const std::string& value) {
  bool allowed[4] = {};
  std::istringstream names(value);
  for (std::string name; std::getline(names, name, ',');)
    for (int k = 0; k < 4; ++k) allowed[k] = allowed[k] || name == kKernels[k];
  auto& context = at::globalContext();
  context.setSDPUseFlash(allowed[0]);
  context.setSDPUseMemEfficient(allowed[1]);
  context.setSDPUseCuDNN(allowed[2]);
  context.setSDPUseMath(allowed[3]);
}

// MAE_ATTENTION's value when it is set and right, else "".
std::string asked_kernels() {
  const char* value = std::getenv("MAE_ATTENTION");
  return value && attention_value_problem(value).empty() ? value : "";
}
}  // namespace

std::string attention_value_problem(const std::string& value) {
  std::istringstream names(value);
  for (std::string name; std::getline(names, name, ',');)
    if (std::find(std::begin(kKernels), std::end(kKernels), name) == std::end(kKernels))
      return "MAE_ATTENTION=" + value + ": \"" + name +
             "\" is none of flash, efficient, cudnn, math";
  return "";
}

void limit_gpu_attention_kernels() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (const auto kernels = asked_kernels(); !kernels.empty()) apply(kernels);
  });
}

std::string gpu_attention_kernel_choice() {
  const auto kernels = asked_kernels();
  return kernels.empty() ? "torch's choice" : kernels + " (MAE_ATTENTION)";
}

}  // namespace mae
