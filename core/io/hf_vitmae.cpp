// Why: renames are tables (per block and whole names) and the fused qkv is split and joined by
// rows, so each direction is the other's inverse and a round trip is exact.
#include "io/hf_vitmae.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "io/tensor_names.h"
#include "util/atomic_file.h"
#include "util/json_numbers.h"
#include "util/one_line_error.h"

namespace mae {

namespace {

// Per-block renames (after "blocks.{i}." / "vit.encoder.layer.{i}.").
const std::pair<const char*, const char*> kBlockNames[] = {{"norm1", "layernorm_before"},
                                                           {"norm2", "layernorm_after"},
                                                           {"attn.proj", "attention.output.dense"},
                                                           {"mlp.fc1", "intermediate.dense"},
                                                           {"mlp.fc2", "output.dense"}};

// Whole-name renames.
const std::pair<const char*, const char*> kTopNames[] = {
    {"cls_token", "vit.embeddings.cls_token"},
    {"pos_embed", "vit.embeddings.position_embeddings"},
    {"patch_embed.proj.weight", "vit.embeddings.patch_embeddings.projection.weight"},
    {"patch_embed.proj.bias", "vit.embeddings.patch_embeddings.projection.bias"},
    {"norm.weight", "vit.layernorm.weight"},
    {"norm.bias", "vit.layernorm.bias"},
    {"mask_token", "decoder.mask_token"},
    {"decoder_pos_embed", "decoder.decoder_pos_embed"},
    {"decoder_embed.weight", "decoder.decoder_embed.weight"},
    {"decoder_embed.bias", "decoder.decoder_embed.bias"},
    {"decoder_norm.weight", "decoder.decoder_norm.weight"},
    {"decoder_norm.bias", "decoder.decoder_norm.bias"},
    {"decoder_pred.weight", "decoder.decoder_pred.weight"},
    {"decoder_pred.bias", "decoder.decoder_pred.bias"}};

int64_t get_int(const nlohmann::json& j, const char* key) {
  if (!j.contains(key)) throw CheckpointError(std::string("config.json lacks '") + key + "'");
  return json_integer(j.at(key), std::string("config.json '") + key + "'");
}

}  // namespace

std::optional<double> mask_ratio_from_hf_json(const std::string& text) {
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("mask_ratio") || !j["mask_ratio"].is_number())
    return std::nullopt;
  const double ratio = j["mask_ratio"].get<double>();
  if (!(ratio > 0.0 && ratio < 1.0)) return std::nullopt;
  return ratio;
}

namespace {

MaeConfig parse_hf_config(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text);
  if (!j.is_object()) throw CheckpointError("config.json is not a JSON object");
  if (j.value("model_type", "") != "vit_mae")
    throw CheckpointError("config.json is not a ViTMAE config (model_type " +
                          j.value("model_type", std::string("missing")) + ")");
  MaeConfig c;
  c.preset = "hf-vit-mae";
  if (j.contains("image_size") && j["image_size"].is_array()) {
    c.img_h = json_integer(j["image_size"].at(0), "image_size");
    c.img_w = json_integer(j["image_size"].at(1), "image_size");
  } else {
    c.img_h = c.img_w = get_int(j, "image_size");
  }
  c.patch = get_int(j, "patch_size");
  c.in_chans = get_int(j, "num_channels");
  c.embed_dim = get_int(j, "hidden_size");
  c.depth = get_int(j, "num_hidden_layers");
  c.num_heads = get_int(j, "num_attention_heads");
  c.dec_dim = get_int(j, "decoder_hidden_size");
  c.dec_depth = get_int(j, "decoder_num_hidden_layers");
  c.dec_heads = get_int(j, "decoder_num_attention_heads");
  const int64_t inter = get_int(j, "intermediate_size");
  const int64_t dec_inter = get_int(j, "decoder_intermediate_size");
  if (c.embed_dim <= 0 || c.dec_dim <= 0 || inter <= 0 || dec_inter <= 0 ||
      std::max({c.embed_dim, c.dec_dim, inter, dec_inter}) > (int64_t{1} << 20))
    throw CheckpointError("config.json has a width outside 1..2^20");
  c.mlp_ratio = static_cast<double>(inter) / static_cast<double>(c.embed_dim);
  if (dec_inter * c.embed_dim != inter * c.dec_dim)
    throw CheckpointError("encoder and decoder MLP ratios differ; MAE Studio models share one");
  if (j.value("hidden_act", "gelu") != "gelu")
    throw CheckpointError("only exact GELU activations are supported");
  if (!j.value("qkv_bias", true))
    throw CheckpointError("models without qkv bias are not supported");
  c.ln_eps = j.value("layer_norm_eps", 1e-12);
  c.norm_pix_loss = j.value("norm_pix_loss", false);
  c.mean = default_mean(c.in_chans);
  c.std = default_std(c.in_chans);
  c.validate();
  return c;
}

}  // namespace

MaeConfig config_from_hf_json(const std::string& text) {
  try {
    return parse_hf_config(text);
  } catch (const CheckpointError&) {
    throw;
  } catch (const std::exception& e) {  // nlohmann's parse and type errors, validate()'s ranges
    throw CheckpointError("config.json: " + one_line_error(e));
  }
}

std::string hf_config_json(const MaeConfig& c, double mask_ratio) {
  const auto inter = static_cast<int64_t>(c.embed_dim * c.mlp_ratio);
  const auto dec_inter = static_cast<int64_t>(c.dec_dim * c.mlp_ratio);
  nlohmann::json j = {{"architectures", {"ViTMAEForPreTraining"}},
                      {"model_type", "vit_mae"},
                      {"image_size", c.img_h == c.img_w ? nlohmann::json(c.img_h)
                                                        : nlohmann::json({c.img_h, c.img_w})},
                      {"patch_size", c.patch},
                      {"num_channels", c.in_chans},
                      {"hidden_size", c.embed_dim},
                      {"num_hidden_layers", c.depth},
                      {"num_attention_heads", c.num_heads},
                      {"intermediate_size", inter},
                      {"decoder_hidden_size", c.dec_dim},
                      {"decoder_num_hidden_layers", c.dec_depth},
                      {"decoder_num_attention_heads", c.dec_heads},
                      {"decoder_intermediate_size", dec_inter},
                      {"hidden_act", "gelu"},
                      {"hidden_dropout_prob", 0.0},
                      {"attention_probs_dropout_prob", 0.0},
                      {"initializer_range", 0.02},
                      {"layer_norm_eps", c.ln_eps},
                      {"qkv_bias", true},
                      {"mask_ratio", mask_ratio},
                      {"norm_pix_loss", c.norm_pix_loss}};
  return j.dump(2);
}

NamedTensors to_hf_names(const NamedTensors& ours) {
  NamedTensors out;
  for (const auto& [name, t] : ours) {
    check_tensor_name_length(name);
    if (const auto block = parse_block_name(name, {"blocks", "decoder_blocks"})) {
      const std::string prefix =
          (block->stack == "blocks" ? "vit.encoder.layer." : "decoder.decoder_layers.") +
          std::to_string(block->index) + ".";
      const std::string& part = block->part;
      const std::string& kind = block->kind;
      if (part == "attn.qkv") {
        if (t.dim() == 0 || t.size(0) % 3 != 0)
          throw CheckpointError("'" + name + "' cannot be split into query, key and value");
        auto chunks = t.chunk(3, 0);
        const char* qkv[] = {"query", "key", "value"};
        for (int i = 0; i < 3; ++i)
          out.emplace_back(prefix + "attention.attention." + qkv[i] + "." + kind,
                           chunks[i].contiguous());
        continue;
      }
      bool mapped = false;
      for (const auto& [o, h] : kBlockNames)
        if (part == o) {
          out.emplace_back(prefix + h + "." + kind, t);
          mapped = true;
        }
      if (!mapped) throw CheckpointError("no Hugging Face name for '" + name + "'");
      continue;
    }
    bool mapped = false;
    for (const auto& [o, h] : kTopNames)
      if (name == o) {
        out.emplace_back(h, t);
        mapped = true;
      }
    if (!mapped) throw CheckpointError("no Hugging Face name for '" + name + "'");
  }
  return out;
}

NamedTensors from_hf_names(const NamedTensors& hf) {
  NamedTensors out;
  std::map<std::string, std::array<at::Tensor, 3>> qkv;  // "blocks.i.attn.qkv.weight" -> q,k,v
  for (const auto& [name, t] : hf) {
    check_tensor_name_length(name);
    if (const auto block =
            parse_block_name(name, {"vit.encoder.layer", "decoder.decoder_layers"})) {
      const std::string prefix =
          (block->stack == "vit.encoder.layer" ? "blocks." : "decoder_blocks.") +
          std::to_string(block->index) + ".";
      const std::string& part = block->part;
      const std::string& kind = block->kind;
      const char* parts[] = {"attention.attention.query", "attention.attention.key",
                             "attention.attention.value"};
      bool mapped = false;
      for (int i = 0; i < 3; ++i)
        if (part == parts[i]) {
          qkv[prefix + "attn.qkv." + kind][static_cast<size_t>(i)] = t;
          mapped = true;
        }
      for (const auto& [o, h] : kBlockNames)
        if (part == h) {
          out.emplace_back(prefix + o + "." + kind, t);
          mapped = true;
        }
      if (!mapped) throw CheckpointError("unexpected Hugging Face tensor '" + name + "'");
      continue;
    }
    bool mapped = false;
    for (const auto& [o, h] : kTopNames)
      if (name == h) {
        out.emplace_back(o, t);
        mapped = true;
      }
    // HF's pixel-decoder head for other tasks and buffers are not part of the MAE.
    if (!mapped && name.rfind("vit.", 0) != 0 && name.rfind("decoder.", 0) != 0) continue;
    if (!mapped) throw CheckpointError("unexpected Hugging Face tensor '" + name + "'");
  }
  for (const auto& [name, parts] : qkv) {
    if (!parts[0].defined() || !parts[1].defined() || !parts[2].defined())
      throw CheckpointError("incomplete query/key/value for '" + name + "'");
    if (parts[0].dim() == 0 || !parts[0].sizes().equals(parts[1].sizes()) ||
        !parts[0].sizes().equals(parts[2].sizes()))
      throw CheckpointError("query, key and value of '" + name + "' differ in shape");
    out.emplace_back(name, at::cat({parts[0], parts[1], parts[2]}, 0));
  }
  return out;
}

bool is_hf_folder(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec) &&
         std::filesystem::exists(std::filesystem::path(path) / "config.json", ec);
}

void write_hf_folder(const std::string& dir, const MaeConfig& config, const NamedTensors& ours) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw CheckpointError("cannot create '" + dir + "': " + ec.message());
  const std::string text = hf_config_json(config);
  write_file_atomically(dir + "/config.json",
                        [&](std::FILE* f) { write_all(f, text.data(), text.size()); });
  write_safetensors(dir + "/model.safetensors", to_hf_names(ours), {{"format", "pt"}});
}

}  // namespace mae
