// Why: MAE_ATTENTION puts GPU attention kernels first for gpu_check's timings; a misspelt name
// must be named where a program starts (`mae` then refuses to run, rather than quietly time
// torch's own choice), and must not half-apply; and a kernel put first must leave the inputs it
// cannot take to the others, where limiting torch to it failed them.
#include <ATen/Context.h>
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "model/gpu_attention_kernels.h"

using namespace mae;

namespace {
constexpr int64_t kMath = static_cast<int64_t>(at::SDPBackend::math);
constexpr int64_t kFlash = static_cast<int64_t>(at::SDPBackend::flash_attention);
constexpr int64_t kEfficient = static_cast<int64_t>(at::SDPBackend::efficient_attention);
constexpr int64_t kCudnn = static_cast<int64_t>(at::SDPBackend::cudnn_attention);
constexpr int64_t kOverrideable = static_cast<int64_t>(at::SDPBackend::overrideable);

std::vector<int64_t> current_order() {
  std::vector<int64_t> order;
  for (const auto backend : at::globalContext().sDPPriorityOrder())
    order.push_back(static_cast<int64_t>(backend));
  return order;
}
}  // namespace

TEST_CASE(
    "MAE_ATTENTION: a name torch lacks, or none, is named in a line and leaves torch's choice as "
    "it was") {
  CHECK(attention_value_problem("flash,flsh") ==
        "MAE_ATTENTION=flash,flsh: \"flsh\" is none of flash, efficient, cudnn, math");
  CHECK(attention_value_problem(",cudnn").find("\"\" is none of") != std::string::npos);
  CHECK(attention_value_problem("").empty());
  CHECK(attention_value_problem("math,cudnn,efficient,flash").empty());
  setenv("MAE_ATTENTION", "flash,flsh", 1);
  CHECK(gpu_attention_kernel_choice() == "torch's choice");
  unsetenv("MAE_ATTENTION");
  setenv("MAE_ATTENTION", "flash,math", 1);
  CHECK(gpu_attention_kernel_choice() == "flash,math first (MAE_ATTENTION)");
  unsetenv("MAE_ATTENTION");
}

TEST_CASE("MAE_ATTENTION puts the kernels it names first in torch's order and keeps the rest") {
  // torch's order on Hopper after its first choice: cuDNN, flash, efficient, math.
  const std::vector<int64_t> hopper{kCudnn, kFlash, kEfficient, kMath, kOverrideable};
  CHECK((attention_order_preferring("", hopper) == hopper));
  CHECK((attention_order_preferring("flash", hopper) ==
         std::vector<int64_t>{kFlash, kCudnn, kEfficient, kMath, kOverrideable}));
  CHECK((attention_order_preferring("efficient,flash,efficient", hopper) ==
         std::vector<int64_t>{kEfficient, kFlash, kCudnn, kMath, kOverrideable}));
  CHECK((attention_order_preferring("math", hopper) ==
         std::vector<int64_t>{kMath, kCudnn, kFlash, kEfficient, kOverrideable}));
  // A kernel missing from torch's list is not added: torch takes exactly its own backends.
  CHECK((attention_order_preferring("cudnn", {kFlash, kMath}) ==
         std::vector<int64_t>{kFlash, kMath}));

  // Applied to torch's setting, every kernel stays enabled: one that cannot take an input (flash
  // and cuDNN take no float32) leaves it to the next.
  const auto before = current_order();
  put_attention_kernels_first("cudnn,flash");
  const auto after = current_order();
  put_attention_kernels_first("");  // no change
  CHECK((current_order() == after));
  at::globalContext().setSDPPriorityOrder(before);
  CHECK((after == attention_order_preferring("cudnn,flash", before)));
  CHECK(after.front() == kCudnn);
  CHECK(after.size() == before.size());
  const auto& context = at::globalContext();
  CHECK(context.userEnabledFlashSDP());
  CHECK(context.userEnabledMemEfficientSDP());
  CHECK(context.userEnabledCuDNNSDP());
  CHECK(context.userEnabledMathSDP());
}
