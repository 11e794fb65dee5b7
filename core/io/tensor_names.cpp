// Why: one pass over the name, linear in its length.
#include "io/tensor_names.h"

#include "io/safetensors.h"

namespace mae {

std::optional<BlockName> parse_block_name(std::string_view name,
                                          std::initializer_list<std::string_view> stacks) {
  if (name.size() > kMaxTensorNameLength) return std::nullopt;
  for (std::string_view stack : stacks) {
    if (name.size() <= stack.size() + 1 || name.substr(0, stack.size()) != stack ||
        name[stack.size()] != '.')
      continue;
    std::string_view rest = name.substr(stack.size() + 1);
    size_t digits = 0;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
    if (digits == 0 || digits > 4 || digits >= rest.size() || rest[digits] != '.')
      return std::nullopt;
    BlockName out;
    out.stack = std::string(stack);
    for (size_t i = 0; i < digits; ++i) out.index = out.index * 10 + (rest[i] - '0');
    rest = rest.substr(digits + 1);
    const size_t dot = rest.rfind('.');
    if (dot == std::string_view::npos || dot == 0) return std::nullopt;
    out.part = std::string(rest.substr(0, dot));
    out.kind = std::string(rest.substr(dot + 1));
    if (out.kind != "weight" && out.kind != "bias") return std::nullopt;
    return out;
  }
  return std::nullopt;
}

void check_tensor_name_length(std::string_view name) {
  if (name.size() > kMaxTensorNameLength)
    throw CheckpointError("a tensor name of " + std::to_string(name.size()) +
                          " characters, above the limit of " +
                          std::to_string(kMaxTensorNameLength));
}

}  // namespace mae
