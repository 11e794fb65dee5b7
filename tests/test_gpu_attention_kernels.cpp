// Why: MAE_ATTENTION limits the GPU's attention kernels for gpu_check's timings; a misspelt
// name must be named where a program starts (`mae` then refuses to run, rather than quietly time
// torch's own choice), and must not half-apply.
#include <ATen/Context.h>
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "model/gpu_attention_kernels.h"

using namespace mae;

TEST_CASE(
    "MAE_ATTENTION: a name torch lacks, or none, is named in a line and leaves torch's choice as "
    "it was") {
  CHECK(attention_value_problem("flash,flsh") ==
        "MAE_ATTENTION=flash,flsh: \"flsh\" is none of flash, efficient, cudnn, math");
  CHECK(attention_value_problem(",cudnn").find("\"\" is none of") != std::string::npos);
  CHECK(attention_value_problem("").empty());
  CHECK(attention_value_problem("math,cudnn,efficient,flash").empty());
  // Applied, "flash,flsh" would leave flash alone enabled; as a misspelt value it is not applied.
  setenv("MAE_ATTENTION", "flash,flsh", 1);
  CHECK(gpu_attention_kernel_choice() == "torch's choice");
  limit_gpu_attention_kernels();
  unsetenv("MAE_ATTENTION");
  const auto& context = at::globalContext();
  CHECK(context.userEnabledFlashSDP());
  CHECK(context.userEnabledMemEfficientSDP());
  CHECK(context.userEnabledCuDNNSDP());
  CHECK(context.userEnabledMathSDP());
  setenv("MAE_ATTENTION", "flash,math", 1);
  CHECK(gpu_attention_kernel_choice() == "flash,math (MAE_ATTENTION)");
  unsetenv("MAE_ATTENTION");
}
