// Why: the one list of the tuning variables, each with its owner's check of the value.
#include "model/tuning_variables.h"

#include <cstdlib>

#include "model/cpu_features.h"
#include "model/cpu_products.h"
#include "model/gpu_attention_kernels.h"
#include "model/gpu_fusions.h"

namespace mae {

std::vector<std::string> misspelt_tuning_variables() {
  std::vector<std::string> lines;
  const auto check = [&lines](const char* variable, std::string (*problem)(const std::string&)) {
    const char* value = std::getenv(variable);
    if (!value) return;
    if (auto line = problem(value); !line.empty()) lines.push_back(std::move(line));
  };
  check("MAE_CPU_GEMM", cpu_gemm_value_problem);
  check("MAE_CPU_KERNELS", cpu_kernels_value_problem);
  check("MAE_UNFUSED", unfused_value_problem);
  check("MAE_ATTENTION", attention_value_problem);
  return lines;
}

}  // namespace mae
