// Why: torch's kernel order is one setting for the whole process, which torch itself sets at
// its first choice (cuDNN first on Hopper), over whatever was set before; so MAE_ATTENTION is
// applied once, after that first choice and before the first GPU forward uses the order. A
// misspelt kernel name is caught where a program starts (tuning_variables.h), not in the
// middle of a forward.
#include "model/gpu_attention_kernels.h"

#include <ATen/ATen.h>
#include <ATen/Context.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <mutex>
#include <sstream>

namespace mae {

namespace {
constexpr const char* kKernels[] = {"flash", "efficient", "cudnn", "math"};
constexpr at::SDPBackend kBackends[] = {at::SDPBackend::flash_attention,
                                        at::SDPBackend::efficient_attention,
                                        at::SDPBackend::cudnn_attention, at::SDPBackend::math};

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

std::vector<int64_t> attention_order_preferring(const std::string& kernels,
                                                const std::vector<int64_t>& order) {
  // Only backends of `order`, each once: torch takes a list of exactly its backends.
  std::vector<int64_t> out;
  const auto add = [&out, &order](int64_t backend) {
    const auto has = [backend](const std::vector<int64_t>& list) {
      return std::find(list.begin(), list.end(), backend) != list.end();
    };
    if (has(order) && !has(out)) out.push_back(backend);
  };
  std::istringstream names(kernels);
  for (std::string name; std::getline(names, name, ',');)
    for (size_t k = 0; k < std::size(kKernels); ++k)
      if (name == kKernels[k]) add(static_cast<int64_t>(kBackends[k]));
  for (const int64_t backend : order) add(backend);
  return out;
}

void put_attention_kernels_first(const std::string& kernels) {
  auto& context = at::globalContext();
  std::vector<int64_t> order;
  for (const auto backend : context.sDPPriorityOrder())
    order.push_back(static_cast<int64_t>(backend));
  context.setSDPPriorityOrder(attention_order_preferring(kernels, order));
}

void prefer_gpu_attention_kernels(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  static std::once_flag once;
  std::call_once(once, [&] {
    const auto kernels = asked_kernels();
    if (kernels.empty()) return;
    (void)at::_fused_sdp_choice(q, k, v);  // torch's own order first, then ours over it
    put_attention_kernels_first(kernels);
  });
}

std::string gpu_attention_kernel_choice() {
  const auto kernels = asked_kernels();
  return kernels.empty() ? "torch's choice" : kernels + " first (MAE_ATTENTION)";
}

}  // namespace mae
