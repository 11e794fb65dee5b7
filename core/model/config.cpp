// Why: validation and JSON (de)serialization of MaeConfig, kept apart from the model so
// checkpoint metadata and the CLI can use it without building a network.
#include "model/config.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace mae {

namespace {
void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}
}  // namespace

void MaeConfig::validate() const {
  require(patch > 0, "patch size must be positive");
  require(img_h > 0 && img_w > 0, "image size must be positive");
  require(img_h % patch == 0 && img_w % patch == 0,
          "image size " + std::to_string(img_h) + "x" + std::to_string(img_w) +
              " is not divisible by the patch size " + std::to_string(patch));
  require(in_chans > 0, "channel count must be positive");
  require(embed_dim > 0 && num_heads > 0 && embed_dim % num_heads == 0,
          "embed_dim must be a positive multiple of num_heads");
  require(embed_dim % 4 == 0, "embed_dim must be divisible by 4 (2-D sin-cos table)");
  require(dec_dim > 0 && dec_heads > 0 && dec_dim % dec_heads == 0,
          "dec_dim must be a positive multiple of dec_heads");
  require(dec_dim % 4 == 0, "dec_dim must be divisible by 4 (2-D sin-cos table)");
  require(depth >= 0 && dec_depth >= 0, "depths must not be negative");
  require(mlp_ratio > 0, "mlp_ratio must be positive");
  require(ln_eps > 0, "ln_eps must be positive");
  require(
      static_cast<int64_t>(mean.size()) == in_chans && static_cast<int64_t>(std.size()) == in_chans,
      "mean/std need one value per channel");
  for (double s : std) require(s > 0, "std values must be positive");
}

std::string MaeConfig::to_json() const {
  nlohmann::json j = {{"preset", preset},       {"img_h", img_h},
                      {"img_w", img_w},         {"patch", patch},
                      {"in_chans", in_chans},   {"embed_dim", embed_dim},
                      {"depth", depth},         {"num_heads", num_heads},
                      {"dec_dim", dec_dim},     {"dec_depth", dec_depth},
                      {"dec_heads", dec_heads}, {"mlp_ratio", mlp_ratio},
                      {"ln_eps", ln_eps},       {"norm_pix_loss", norm_pix_loss},
                      {"mean", mean},           {"std", std}};
  return j.dump();
}

MaeConfig MaeConfig::from_json(const std::string& text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("model config is not valid JSON: ") + e.what());
  }
  MaeConfig c;
  try {
    c.preset = j.value("preset", c.preset);
    c.img_h = j.at("img_h").get<int64_t>();
    c.img_w = j.at("img_w").get<int64_t>();
    c.patch = j.at("patch").get<int64_t>();
    c.in_chans = j.at("in_chans").get<int64_t>();
    c.embed_dim = j.at("embed_dim").get<int64_t>();
    c.depth = j.at("depth").get<int64_t>();
    c.num_heads = j.at("num_heads").get<int64_t>();
    c.dec_dim = j.at("dec_dim").get<int64_t>();
    c.dec_depth = j.at("dec_depth").get<int64_t>();
    c.dec_heads = j.at("dec_heads").get<int64_t>();
    c.mlp_ratio = j.value("mlp_ratio", c.mlp_ratio);
    c.ln_eps = j.value("ln_eps", c.ln_eps);
    c.norm_pix_loss = j.value("norm_pix_loss", c.norm_pix_loss);
    c.mean = j.value("mean", default_mean(c.in_chans));
    c.std = j.value("std", default_std(c.in_chans));
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("model config is incomplete: ") + e.what());
  }
  c.validate();
  return c;
}

std::vector<double> default_mean(int64_t channels) {
  if (channels == 3) return {0.485, 0.456, 0.406};
  return std::vector<double>(static_cast<size_t>(channels), 0.449);
}

std::vector<double> default_std(int64_t channels) {
  if (channels == 3) return {0.229, 0.224, 0.225};
  return std::vector<double>(static_cast<size_t>(channels), 0.226);
}

}  // namespace mae
