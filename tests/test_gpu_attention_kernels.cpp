// Why: MAE_ATTENTION limits the GPU's attention kernels for gpu_check's timings; a misspelt
// name must stop the run with a message naming it, not quietly time torch's own choice.
#include <ATen/Context.h>
#include <doctest/doctest.h>

#include <cstdlib>

#include "model/gpu_attention_kernels.h"

using namespace mae;

TEST_CASE(
    "MAE_ATTENTION: a name torch lacks, or none, is refused with the value, and all four "
    "leave torch's choice as it was") {
  setenv("MAE_ATTENTION", "flash,flsh", 1);
  CHECK_THROWS_WITH(limit_gpu_attention_kernels(), doctest::Contains("\"flsh\" is none of"));
  setenv("MAE_ATTENTION", ",cudnn", 1);
  CHECK_THROWS_WITH(limit_gpu_attention_kernels(), doctest::Contains("\"\" is none of"));
  setenv("MAE_ATTENTION", "math,cudnn,efficient,flash", 1);
  limit_gpu_attention_kernels();
  unsetenv("MAE_ATTENTION");
  const auto& context = at::globalContext();
  CHECK(context.userEnabledFlashSDP());
  CHECK(context.userEnabledMemEfficientSDP());
  CHECK(context.userEnabledCuDNNSDP());
  CHECK(context.userEnabledMathSDP());
}
