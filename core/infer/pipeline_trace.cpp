// Why: see pipeline_trace.h. Token matrices are drawn as tokens x channels with a diverging
// colour map (blue negative, red positive); patch sequences as patches in a row-major grid.
#include "infer/pipeline_trace.h"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "data/augment.h"
#include "data/image_io.h"
#include "infer/colour_maps.h"
#include "model/gather_rows.h"
#include "model/patchify.h"
#include "model/vit_block.h"

namespace mae {

namespace {
std::string shape_of(const at::Tensor& t) {
  std::string s = "(";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + ")";
}

at::Tensor as_rgb(const at::Tensor& chw) {
  return chw.size(0) == 1 ? chw.expand({3, chw.size(1), chw.size(2)}) : chw;
}

// Nearest-neighbour enlargement so that the longer side is at least `min_side` pixels.
at::Tensor enlarge(const at::Tensor& chw, int64_t min_side = 224) {
  const int64_t longer = std::max(chw.size(1), chw.size(2));
  const int64_t factor = std::max<int64_t>(1, (min_side + longer - 1) / longer);
  return chw.repeat_interleave(factor, 1).repeat_interleave(factor, 2).contiguous();
}

// A token matrix in blue-white-red; rows are repeated so that a wide matrix is not drawn
// as a thin strip.
at::Tensor diverging(const at::Tensor& values) {
  const int64_t rows = values.size(0), cols = values.size(1);
  const int64_t factor = std::max<int64_t>(1, (cols * 2 / 3 + rows - 1) / rows);
  return diverging_colours(values).repeat_interleave(factor, 1);
}

// Patches (K, p*p*C) drawn in a row-major grid `cols` wide with 1-px gaps; grey where empty.
at::Tensor patch_grid(const at::Tensor& patches, int64_t cols, const MaeConfig& c) {
  const int64_t k = patches.size(0), p = c.patch;
  const int64_t rows = (k + cols - 1) / cols;
  auto out = at::full({3, rows * (p + 1) + 1, cols * (p + 1) + 1}, 0.85f);
  auto images = denormalize(
      unpatchify(patches.to(at::kCPU, at::kFloat).view({k, 1, -1}), p, 1, 1, c.in_chans), c.mean,
      c.std);  // (K, C, p, p)
  for (int64_t i = 0; i < k; ++i) {
    auto cell = out.narrow(1, 1 + (i / cols) * (p + 1), p).narrow(2, 1 + (i % cols) * (p + 1), p);
    cell.copy_(as_rgb(images[i].clamp(0, 1)));
  }
  return out;
}

at::Tensor image_of(const at::Tensor& normalized, const MaeConfig& c) {
  return as_rgb(
      denormalize(normalized.to(at::kCPU, at::kFloat), c.mean, c.std).squeeze(0).clamp(0, 1));
}
}  // namespace

std::vector<PipelineStage> trace_pipeline(MaeModel& model, const at::Tensor& image,
                                          const MaskRequest& request) {
  torch::NoGradGuard no_grad;
  model->eval();
  const auto& c = model->config();
  const auto device = model->cls_token.device();
  const int64_t l = c.num_patches(), gw = c.grid_w();
  std::vector<PipelineStage> s;
  auto x = normalize(resize_center_crop(image.to(at::kFloat), c.img_h, c.img_w), c.mean, c.std)
               .unsqueeze(0);
  s.push_back({"input", shape_of(x),
               "The image, resized to the model's input and normalised with the dataset's "
               "mean and standard deviation per channel.",
               enlarge(image_of(x, c))});
  auto patches = patchify(x, c.patch);
  s.push_back({"patchify", shape_of(patches),
               "Cut into " + std::to_string(l) + " patches of " + std::to_string(c.patch) + "x" +
                   std::to_string(c.patch) + " pixels, each flattened to " +
                   std::to_string(c.patch_dim()) + " numbers, in row-major order.",
               enlarge(patch_grid(patches[0], gw, c))});
  auto tokens = model->patch_embed(x.to(device)) + model->pos_embed.narrow(1, 1, l);
  s.push_back({"embed + position", shape_of(tokens),
               "Each patch goes through one linear layer to " + std::to_string(c.embed_dim) +
                   " numbers, plus its fixed sine-cosine position code (rows: patches, "
                   "columns: channels).",
               enlarge(diverging(tokens[0]))});
  int64_t len_keep = 0;
  auto noise = request_noise(c, request, &len_keep).to(device);
  s.push_back({"noise", shape_of(noise),
               "One random number per patch (uniform noise for the random strategy); the " +
                   std::to_string(len_keep) + " smallest are kept. Brighter = larger.",
               enlarge(heat_colours(noise[0].reshape({c.grid_h(), gw})))});
  const auto masking = masking_from_noise(noise, len_keep);
  auto ids_shuffle = at::argsort(noise, /*dim=*/int64_t{1});
  s.push_back({"shuffle", shape_of(ids_shuffle),
               "Patches sorted by their noise (argsort): this order is the shuffle. Shown "
               "here as the patches in shuffled order.",
               enlarge(patch_grid(patches[0].index_select(0, ids_shuffle[0].cpu()), gw, c))});
  auto kept = gather_rows(tokens, masking.ids_keep);
  s.push_back({"keep", shape_of(kept),
               "Only the first " + std::to_string(len_keep) +
                   " of the shuffled patches go on: " + std::to_string(l - len_keep) +
                   " are removed. The encoder never sees them, which is why MAE is cheap.",
               enlarge(patch_grid(patches[0].index_select(0, masking.ids_keep[0].cpu()), gw, c))});
  auto latent = model->forward_encoder(x.to(device), noise, len_keep).latent;
  s.push_back({"encoder", shape_of(latent),
               "A class token is put first, then " + std::to_string(c.depth) +
                   " transformer blocks and a LayerNorm run on the visible tokens only.",
               enlarge(diverging(latent[0]))});
  auto dec = linear(model->decoder_embed, latent);
  const int64_t dd = dec.size(2);
  auto mask_tokens = model->mask_token.expand({1, l + 1 - dec.size(1), dd});
  auto appended = at::cat({dec, mask_tokens}, 1);
  s.push_back({"mask tokens appended", shape_of(appended),
               "The decoder projects to " + std::to_string(c.dec_dim) +
                   " channels and appends one shared, learned mask token per removed patch: the "
                   "identical rows at the bottom (pale: the token is small next to the visible "
                   "tokens).",
               enlarge(diverging(appended[0]))});
  auto body = gather_rows(appended.narrow(1, 1, l), masking.ids_restore);
  auto unshuffled = at::cat({appended.narrow(1, 0, 1), body}, 1) + model->decoder_pos_embed;
  s.push_back({"unshuffled", shape_of(unshuffled),
               "ids_restore puts every token back at its patch's place, and the decoder's "
               "position codes are added: now each removed position holds a mask token.",
               enlarge(diverging(unshuffled[0]))});
  auto pred = model->forward_decoder(latent, masking.ids_restore);
  auto target = patchify(x, c.patch);
  auto shown = prediction_to_pixels(c, pred.to(at::kCPU, at::kFloat), target,
                                    masking.mask.to(at::kCPU, at::kFloat));
  s.push_back({"decoder output", shape_of(pred),
               "The decoder's " + std::to_string(c.dec_depth) +
                   " blocks and a linear layer predict every patch's pixels" +
                   (c.norm_pix_loss ? " (per-patch normalised; shown de-normalised with visible "
                                      "neighbours' statistics)"
                                    : "") +
                   ".",
               enlarge(image_of(unpatchify(shown, c.patch, c.grid_h(), gw, c.in_chans), c))});
  auto per_patch =
      (pred.to(at::kCPU, at::kFloat) - comparison_target(c, target)).pow(2).mean(-1)[0];
  auto loss_map = (per_patch * masking.mask[0].to(at::kCPU)).reshape({c.grid_h(), gw});
  char loss_text[160];
  std::snprintf(loss_text, sizeof loss_text,
                "Squared error per patch, counted on the %lld removed patches only: their mean, "
                "%.4f, is the loss. Visible patches (black) do not count.",
                static_cast<long long>(l - len_keep),
                (loss_map.sum() / std::max<int64_t>(1, l - len_keep)).item<double>());
  s.push_back({"per-patch loss", shape_of(per_patch.unsqueeze(0)), loss_text,
               enlarge(heat_colours(loss_map))});
  return s;
}

int export_pipeline_trace(const std::vector<PipelineStage>& stages, const std::string& folder) {
  std::filesystem::create_directories(folder);
  std::ofstream text(folder + "/stages.txt");
  int written = 0;
  for (size_t i = 0; i < stages.size(); ++i) {
    char name[160];
    std::string slug;
    for (char ch : stages[i].name)
      if (std::isalnum(static_cast<unsigned char>(ch)))
        slug += ch;
      else if (!slug.empty() && slug.back() != '-')
        slug += '-';
    std::snprintf(name, sizeof name, "%02zu-%s.png", i + 1, slug.c_str());
    save_png(folder + "/" + name, stages[i].picture);
    text << name << "  " << stages[i].shape << "\n  " << stages[i].explain << "\n";
    ++written;
  }
  if (!text) throw std::runtime_error("cannot write " + folder + "/stages.txt");
  return written + 1;
}

}  // namespace mae
