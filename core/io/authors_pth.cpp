// Why: depth and widths come from the tensor shapes and head counts from the paper's widths (shapes
// do not show them), so any of the published models opens without a config.
#include "io/authors_pth.h"

#include <cmath>
#include <filesystem>
#include <unordered_set>

#include "io/torch_pickle.h"

namespace mae {

namespace {

const at::Tensor& need(const NamedTensors& state, const std::string& name, int64_t dims) {
  for (const auto& [n, t] : state) {
    if (n != name) continue;
    if (t.dim() != dims)
      throw CheckpointError("'" + name + "' has " + std::to_string(t.dim()) + " dimensions, " +
                            std::to_string(dims) + " expected");
    return t;
  }
  throw CheckpointError("the state dict lacks '" + name + "': not an MAE / ViT checkpoint");
}

bool has(const NamedTensors& state, const std::string& name) {
  for (const auto& [n, t] : state)
    if (n == name) return true;
  return false;
}

int64_t count_blocks(const NamedTensors& state, const std::string& prefix) {
  std::unordered_set<std::string> names;
  for (const auto& [n, t] : state) names.insert(n);
  int64_t n = 0;
  while (names.count(prefix + std::to_string(n) + ".norm1.weight")) ++n;
  return n;
}

// Head counts are not visible in the shapes: the paper's widths have known counts.
int64_t encoder_heads(int64_t dim) {
  if (dim == 768) return 12;
  if (dim == 1024 || dim == 1280) return 16;
  return dim % 64 == 0 ? dim / 64 : 1;
}

}  // namespace

InferredArchitecture infer_architecture(const NamedTensors& state, const std::string& file_name,
                                        int args_norm_pix) {
  InferredArchitecture a;
  auto& c = a.config;
  const auto& proj = need(state, "patch_embed.proj.weight", 4);  // (D, C, p, p)
  c.embed_dim = proj.size(0);
  c.in_chans = proj.size(1);
  c.patch = proj.size(2);
  const auto& pos = need(state, "pos_embed", 3);  // (1, L+1, D)
  if (pos.size(1) < 2 || pos.size(1) > 65537)
    throw CheckpointError("pos_embed has " + std::to_string(pos.size(1)) + " positions");
  const int64_t grid = std::llround(std::sqrt(static_cast<double>(pos.size(1) - 1)));
  if (grid * grid != pos.size(1) - 1)
    throw CheckpointError("pos_embed does not describe a square patch grid");
  c.img_h = c.img_w = grid * c.patch;
  c.depth = count_blocks(state, "blocks.");
  c.num_heads = encoder_heads(c.embed_dim);
  c.mlp_ratio = static_cast<double>(need(state, "blocks.0.mlp.fc1.weight", 2).size(0)) /
                static_cast<double>(c.embed_dim);
  c.mean = default_mean(c.in_chans);
  c.std = default_std(c.in_chans);
  const std::string name = std::filesystem::path(file_name).filename().string();
  c.preset = "authors-" + name;
  a.note = "heads " + std::to_string(c.num_heads) + " (from the width)";
  a.has_decoder = has(state, "decoder_embed.weight");
  if (a.has_decoder) {
    c.dec_dim = need(state, "decoder_embed.weight", 2).size(0);
    c.dec_depth = count_blocks(state, "decoder_blocks.");
    c.dec_heads = c.dec_dim % 16 == 0 ? 16 : 1;  // the authors' decoders all use 16 heads
  } else {
    a.note +=
        "; encoder only: no decoder, so it cannot reconstruct (use a *_full.pth or "
        "mae_visualize_*.pth file)";
  }
  if (args_norm_pix >= 0) {
    c.norm_pix_loss = args_norm_pix == 1;
    a.note += "; norm_pix_loss from the saved args";
  } else {
    // The published visualize weights use plain pixels; the pretrain ones norm_pix.
    c.norm_pix_loss =
        name.find("visualize") == std::string::npos && name.find("pretrain") != std::string::npos;
    a.note += std::string("; norm_pix_loss ") + (c.norm_pix_loss ? "on" : "off") +
              " (guessed from the file name)";
  }
  try {
    c.validate();
  } catch (const std::invalid_argument& e) {
    throw CheckpointError(std::string("the tensors describe an unusable model: ") + e.what());
  }
  return a;
}

void write_authors_pth(const std::string& path, const NamedTensors& ours, const MaeConfig& config) {
  save_torch_state_dict(path, ours, kConfigKey, config.to_json());
}

}  // namespace mae
