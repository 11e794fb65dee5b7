// Why: a misspelt tuning variable must be named where a program starts, each one, rather than
// fail every forward later with a message about something else.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "model/tuning_variables.h"

using namespace mae;

TEST_CASE("each misspelt tuning variable is named in a line of its own, the right ones in none") {
  const char* variables[] = {"MAE_CPU_GEMM", "MAE_CPU_KERNELS", "MAE_UNFUSED", "MAE_ATTENTION"};
  for (const char* variable : variables) unsetenv(variable);
  CHECK(misspelt_tuning_variables().empty());

  setenv("MAE_CPU_GEMM", "mkl", 1);
  setenv("MAE_CPU_KERNELS", "avx2", 1);
  setenv("MAE_UNFUSED", "qkv,norm", 1);
  setenv("MAE_ATTENTION", "flash", 1);
  CHECK(misspelt_tuning_variables().empty());

  setenv("MAE_CPU_GEMM", "blis", 1);
  setenv("MAE_CPU_KERNELS", "avx", 1);
  setenv("MAE_UNFUSED", "bais", 1);
  setenv("MAE_ATTENTION", "flash2", 1);
  const auto lines = misspelt_tuning_variables();
  for (const char* variable : variables) unsetenv(variable);
  CHECK(lines == std::vector<std::string>{
                     "MAE_CPU_GEMM=blis: it is onednn or mkl",
                     "MAE_CPU_KERNELS=avx: it is avx2 or avx512",
                     "MAE_UNFUSED=bais: \"bais\" is none of norm, casts, bias, qkv, gelu, all",
                     "MAE_ATTENTION=flash2: \"flash2\" is none of flash, efficient, cudnn, math"});
}
