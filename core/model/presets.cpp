// Why: the table of presets; paper sizes come from the MAE paper (decoder 8 blocks x 512).
#include "model/presets.h"

#include <stdexcept>

namespace mae {

namespace {

MaeConfig paper_vit(const std::string& name, int64_t patch, int64_t dim, int64_t depth,
                    int64_t heads) {
  MaeConfig c;
  c.preset = name;
  c.img_h = c.img_w = 224;
  c.patch = patch;
  c.embed_dim = dim;
  c.depth = depth;
  c.num_heads = heads;
  c.dec_dim = 512;
  c.dec_depth = 8;
  c.dec_heads = 16;
  return c;
}

std::vector<Preset> make_presets() {
  std::vector<Preset> presets;

  MaeConfig fm;
  fm.preset = "fmnist-tiny";
  fm.img_h = fm.img_w = 28;
  fm.patch = 4;
  fm.in_chans = 1;
  fm.embed_dim = 128;
  fm.depth = 4;
  fm.num_heads = 4;
  fm.dec_dim = 128;
  fm.dec_depth = 2;
  fm.dec_heads = 4;
  fm.mean = default_mean(1);
  fm.std = default_std(1);
  RecipeDefaults fm_recipe{128, 3e-3, 0.05, 0.75, 0.5, 600};
  presets.push_back(
      {"fmnist-tiny", "28x28 grayscale, patch 4, 4x128 encoder, 2x128 decoder", fm, fm_recipe});

  MaeConfig rgb;
  rgb.preset = "rgb-small";
  rgb.img_h = rgb.img_w = 64;
  rgb.patch = 8;
  rgb.embed_dim = 192;
  rgb.depth = 6;
  rgb.num_heads = 6;
  rgb.dec_dim = 128;
  rgb.dec_depth = 2;
  rgb.dec_heads = 4;
  RecipeDefaults rgb_recipe{64, 1.5e-3, 0.05, 0.75, 0.2, 2000};
  presets.push_back(
      {"rgb-small", "64x64 RGB, patch 8, 6x192 encoder, 2x128 decoder", rgb, rgb_recipe});

  RecipeDefaults paper{4096, 1.5e-4, 0.05, 0.75, 0.2, 1000, /*norm_pix=*/true};
  presets.push_back({"vit-b16", "paper ViT-B/16, 224 px, 8x512 decoder",
                     paper_vit("vit-b16", 16, 768, 12, 12), paper});
  presets.push_back({"vit-l16", "paper ViT-L/16, 224 px, 8x512 decoder",
                     paper_vit("vit-l16", 16, 1024, 24, 16), paper});
  presets.push_back({"vit-h14", "paper ViT-H/14, 224 px, 8x512 decoder",
                     paper_vit("vit-h14", 14, 1280, 32, 16), paper});
  return presets;
}

}  // namespace

const std::vector<Preset>& all_presets() {
  static const std::vector<Preset> presets = make_presets();
  return presets;
}

const Preset& find_preset(const std::string& name) {
  std::string known;
  for (const auto& p : all_presets()) {
    if (p.name == name) return p;
    known += (known.empty() ? "" : ", ") + p.name;
  }
  throw std::invalid_argument("unknown preset '" + name + "' (known: " + known + ")");
}

}  // namespace mae
