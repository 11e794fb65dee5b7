// Why: the variables that tune how a step runs (MAE_CPU_GEMM, MAE_CPU_KERNELS, MAE_UNFUSED,
// MAE_ATTENTION) are read deep inside a forward, where a misspelt value could only fail every
// forward with a message that blames whatever was being done at the time (opening a
// checkpoint, say). Each is checked once where a program starts instead: `mae` refuses to run,
// the app says so and goes on; wherever they are read, a misspelt value counts as unset.
#pragma once

#include <string>
#include <vector>

namespace mae {

// One line for each of those variables whose value is misspelt, naming it; empty when all are
// unset or right.
std::vector<std::string> misspelt_tuning_variables();

}  // namespace mae
