// Why: mirrors the modules of mae_model.cpp and vit_block.cpp; a test
// checks it against a built model of every preset, so the two cannot drift apart.
#include "model/state_shapes.h"

#include <unordered_map>

namespace mae {

namespace {

using Shapes = std::vector<std::pair<std::string, std::vector<int64_t>>>;

void add_block(Shapes& out, const std::string& prefix, int64_t dim, double mlp_ratio) {
  const auto hidden = static_cast<int64_t>(dim * mlp_ratio);
  out.push_back({prefix + "norm1.weight", {dim}});
  out.push_back({prefix + "norm1.bias", {dim}});
  out.push_back({prefix + "attn.qkv.weight", {3 * dim, dim}});
  out.push_back({prefix + "attn.qkv.bias", {3 * dim}});
  out.push_back({prefix + "attn.proj.weight", {dim, dim}});
  out.push_back({prefix + "attn.proj.bias", {dim}});
  out.push_back({prefix + "norm2.weight", {dim}});
  out.push_back({prefix + "norm2.bias", {dim}});
  out.push_back({prefix + "mlp.fc1.weight", {hidden, dim}});
  out.push_back({prefix + "mlp.fc1.bias", {hidden}});
  out.push_back({prefix + "mlp.fc2.weight", {dim, hidden}});
  out.push_back({prefix + "mlp.fc2.bias", {dim}});
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

}  // namespace

Shapes expected_state_shapes(const MaeConfig& c) {
  const int64_t tokens = c.num_patches() + 1, e = c.embed_dim, d = c.dec_dim;
  Shapes params, buffers;
  params.push_back({"cls_token", {1, 1, e}});
  params.push_back({"patch_embed.proj.weight", {e, c.in_chans, c.patch, c.patch}});
  params.push_back({"patch_embed.proj.bias", {e}});
  for (int64_t i = 0; i < c.depth; ++i)
    add_block(params, "blocks." + std::to_string(i) + ".", e, c.mlp_ratio);
  params.push_back({"norm.weight", {e}});
  params.push_back({"norm.bias", {e}});
  params.push_back({"decoder_embed.weight", {d, e}});
  params.push_back({"decoder_embed.bias", {d}});
  params.push_back({"mask_token", {1, 1, d}});
  for (int64_t i = 0; i < c.dec_depth; ++i)
    add_block(params, "decoder_blocks." + std::to_string(i) + ".", d, c.mlp_ratio);
  params.push_back({"decoder_norm.weight", {d}});
  params.push_back({"decoder_norm.bias", {d}});
  params.push_back({"decoder_pred.weight", {c.patch_dim(), d}});
  params.push_back({"decoder_pred.bias", {c.patch_dim()}});
  buffers.push_back({"pos_embed", {1, tokens, e}});
  buffers.push_back({"decoder_pos_embed", {1, tokens, d}});
  params.insert(params.end(), buffers.begin(), buffers.end());
  return params;
}

std::string state_misfit(const MaeConfig& config,
                         const std::vector<std::pair<std::string, at::Tensor>>& tensors) {
  std::unordered_map<std::string, const at::Tensor*> by_name;
  for (const auto& [name, tensor] : tensors) by_name.emplace(name, &tensor);
  std::string problems;
  int count = 0;
  for (const auto& [name, shape] : expected_state_shapes(config)) {
    const auto it = by_name.find(name);
    std::string problem;
    if (it == by_name.end())
      problem = name + " missing";
    else if (it->second->sizes().vec() != shape)
      problem = name + " has shape " + shape_text(it->second->sizes().vec()) +
                ", the model expects " + shape_text(shape);
    if (!problem.empty() && ++count <= 3) problems += (problems.empty() ? "" : "; ") + problem;
  }
  if (count == 0) return "";
  return std::to_string(count) + (count == 1 ? " tensor: " : " tensors: ") + problems;
}

}  // namespace mae
