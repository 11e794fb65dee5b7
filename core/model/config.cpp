// Why: validation and JSON (de)serialization of MaeConfig, kept apart from the model so
// checkpoint metadata and the CLI can use it without building a network.
#include "model/config.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "util/json_numbers.h"
#include "util/one_line_error.h"

namespace mae {

namespace {
void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

// Bounds far above any published MAE (ViT-Huge: 1280 wide, 32 deep, 16 heads, 224 px) that
// keep a config from a hostile file from asking for terabytes before anything is built.
constexpr int64_t kMaxSide = 4096;
constexpr int64_t kMaxPatches = 16384;
constexpr int64_t kMaxChannels = 16;
constexpr int64_t kMaxWidth = 8192;
constexpr int64_t kMaxDepth = 128;
constexpr int64_t kMaxHeads = 256;
constexpr double kMaxMlpRatio = 16.0;
constexpr double kMaxParameters = 4e9;

void require_range(int64_t value, int64_t low, int64_t high, const char* name) {
  require(value >= low && value <= high, std::string(name) + " is " + std::to_string(value) +
                                             ", outside " + std::to_string(low) + ".." +
                                             std::to_string(high));
}

// Weights of a transformer stack: per block qkv, proj, two MLP layers, two norms.
double stack_parameters(int64_t width, int64_t depth, double mlp_ratio) {
  const double w = static_cast<double>(width), hidden = w * mlp_ratio;
  return static_cast<double>(depth) * (4.0 * w * w + 2.0 * w * hidden + 9.0 * w + hidden);
}
}  // namespace

double MaeConfig::parameter_count() const {
  const double tokens = static_cast<double>(num_patches() + 1);
  return stack_parameters(embed_dim, depth, mlp_ratio) +
         stack_parameters(dec_dim, dec_depth, mlp_ratio) +
         tokens * static_cast<double>(embed_dim + dec_dim) +
         static_cast<double>(patch_dim()) * static_cast<double>(embed_dim + dec_dim) +
         static_cast<double>(embed_dim) * static_cast<double>(dec_dim);
}

void MaeConfig::validate() const {
  require_range(patch, 1, 1024, "patch size");
  require_range(img_h, 1, kMaxSide, "image height");
  require_range(img_w, 1, kMaxSide, "image width");
  require_range(in_chans, 1, kMaxChannels, "channel count");
  require_range(embed_dim, 4, kMaxWidth, "embed_dim");
  require_range(dec_dim, 4, kMaxWidth, "dec_dim");
  require_range(depth, 0, kMaxDepth, "depth");
  require_range(dec_depth, 0, kMaxDepth, "dec_depth");
  require_range(num_heads, 1, kMaxHeads, "num_heads");
  require_range(dec_heads, 1, kMaxHeads, "dec_heads");
  require(mlp_ratio > 0 && mlp_ratio <= kMaxMlpRatio, "mlp_ratio must be in (0, 16]");
  require(ln_eps > 0 && ln_eps <= 1.0, "ln_eps must be in (0, 1]");
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
  for (double s : std) require(s > 0 && std::isfinite(s), "std values must be positive");
  for (double m : mean) require(std::isfinite(m), "mean values must be finite");
  require(num_patches() <= kMaxPatches, std::to_string(num_patches()) +
                                            " patches, above the limit of " +
                                            std::to_string(kMaxPatches));
  require(parameter_count() <= kMaxParameters,
          "about " + std::to_string(static_cast<int64_t>(parameter_count() / 1e6)) +
              "M parameters, above the limit of " +
              std::to_string(static_cast<int64_t>(kMaxParameters / 1e6)) + "M");
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
    throw std::invalid_argument("model config: " + one_line_error(e));
  }
  MaeConfig c;
  try {
    c.preset = j.value("preset", c.preset);
    c.img_h = json_integer(j.at("img_h"), "img_h");
    c.img_w = json_integer(j.at("img_w"), "img_w");
    c.patch = json_integer(j.at("patch"), "patch");
    c.in_chans = json_integer(j.at("in_chans"), "in_chans");
    c.embed_dim = json_integer(j.at("embed_dim"), "embed_dim");
    c.depth = json_integer(j.at("depth"), "depth");
    c.num_heads = json_integer(j.at("num_heads"), "num_heads");
    c.dec_dim = json_integer(j.at("dec_dim"), "dec_dim");
    c.dec_depth = json_integer(j.at("dec_depth"), "dec_depth");
    c.dec_heads = json_integer(j.at("dec_heads"), "dec_heads");
    c.mlp_ratio = j.value("mlp_ratio", c.mlp_ratio);
    c.ln_eps = j.value("ln_eps", c.ln_eps);
    c.norm_pix_loss = j.value("norm_pix_loss", c.norm_pix_loss);
    c.mean = j.value("mean", default_mean(c.in_chans));
    c.std = j.value("std", default_std(c.in_chans));
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument("model config is incomplete: " + one_line_error(e));
  }
  c.validate();
  return c;
}

// The channel count comes from files (a config, a tensor's shape) and validate() bounds it
// only afterwards: a count out of range gets no defaults, so it never sizes a vector (-1 threw
// std::length_error; found by fuzz_json_configs), and validate() then names it.
std::vector<double> default_mean(int64_t channels) {
  if (channels == 3) return {0.485, 0.456, 0.406};
  if (channels < 1 || channels > kMaxChannels) return {};
  return std::vector<double>(static_cast<size_t>(channels), 0.449);
}

std::vector<double> default_std(int64_t channels) {
  if (channels == 3) return {0.229, 0.224, 0.225};
  if (channels < 1 || channels > kMaxChannels) return {};
  return std::vector<double>(static_cast<size_t>(channels), 0.226);
}

}  // namespace mae
