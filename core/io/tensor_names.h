// Why: tensor names come from users' files and can be any length. Block names
// ("blocks.3.attn.qkv.weight", "vit.encoder.layer.3.intermediate.dense.bias") are split by a
// plain scan with a length limit, never by a backtracking regular expression.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace mae {

// Names longer than this are refused wherever names are mapped.
constexpr size_t kMaxTensorNameLength = 512;

struct BlockName {
  std::string stack;  // one of the stacks asked for: "blocks", "vit.encoder.layer", ...
  int64_t index = 0;  // the block's number, at most 9999
  std::string part;   // between the index and the kind: "attn.qkv", "mlp.fc1", ...
  std::string kind;   // "weight" or "bias"
};

// "<stack>.<index>.<part>.<weight|bias>" for one of `stacks`, or nullopt.
std::optional<BlockName> parse_block_name(std::string_view name,
                                          std::initializer_list<std::string_view> stacks);

// Throws CheckpointError when `name` is longer than kMaxTensorNameLength.
void check_tensor_name_length(std::string_view name);

}  // namespace mae
