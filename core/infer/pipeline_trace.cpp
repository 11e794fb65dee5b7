// Why: token matrices are drawn as tokens x channels with a diverging
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
#include "data/picture_fit.h"
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

// (1, C, H, W) as the model sees it -> (C, H, W) pixels in [0, 1].
at::Tensor pixels_of(const at::Tensor& normalized, const MaeConfig& c) {
  return denormalize(normalized.to(at::kCPU, at::kFloat), c.mean, c.std).squeeze(0).clamp(0, 1);
}

at::Tensor image_of(const at::Tensor& normalized, const MaeConfig& c) {
  return as_rgb(pixels_of(normalized, c));
}

// "0.485, 0.456, 0.406"
std::string list_of(const std::vector<double>& values) {
  std::string text;
  for (const double v : values) {
    char number[32];
    std::snprintf(number, sizeof number, "%.3g", v);
    text += (text.empty() ? "" : ", ") + std::string(number);
  }
  return text;
}

template <class T>
std::vector<T> as_vector(const at::Tensor& values) {
  const at::Tensor flat =
      values.to(at::kCPU, c10::CppTypeToScalarType<T>::value).contiguous().view(-1);
  return {flat.data_ptr<T>(), flat.data_ptr<T>() + flat.numel()};
}

std::string fixed3(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", value);
  return text;
}

// One text per patch from `text_of(patch index)`.
template <class TextOf>
std::vector<std::string> per_patch(int64_t patches, TextOf text_of) {
  std::vector<std::string> texts;
  for (int64_t i = 0; i < patches; ++i) texts.push_back(text_of(i));
  return texts;
}

// Texts for cells drawn `cols` wide by patch_grid(), blank where the grid has no patch.
std::vector<std::string> padded_to_grid(std::vector<std::string> texts, int64_t cols) {
  const auto n = static_cast<int64_t>(texts.size());
  texts.resize(static_cast<size_t>((n + cols - 1) / cols * cols));
  return texts;
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
  const int64_t gh = c.grid_h();
  const auto name = [gw](int64_t patch) { return patch_name(patch, gw); };
  auto x = normalize(fit_picture(image, c.in_chans, c.img_h, c.img_w), c.mean, c.std).unsqueeze(0);
  s.push_back(
      {"input", shape_of(x),
       "The image, resized to the model's input and normalised per channel: minus the "
       "model's mean (" +
           list_of(c.mean) + "), divided by its standard deviation (" + list_of(c.std) + ").",
       enlarge(image_of(x, c)), image_readout(pixels_of(x, c), c.patch, per_patch(l, name), x[0])});
  auto patches = patchify(x, c.patch);
  s.push_back({"patchify", shape_of(patches),
               "Cut into " + std::to_string(l) + " patches of " + std::to_string(c.patch) + "x" +
                   std::to_string(c.patch) + " pixels, each flattened to " +
                   std::to_string(c.patch_dim()) + " numbers, in row-major order.",
               enlarge(patch_grid(patches[0], gw, c)),
               cell_readout(per_patch(l,
                                      [&](int64_t i) {
                                        return name(i) + ": its " + std::to_string(c.patch_dim()) +
                                               " numbers are its pixels row by row, channels last";
                                      }),
                            gh, gw, c.patch)});
  auto tokens = model->patch_embed(x.to(device)) + model->pos_embed.narrow(1, 1, l);
  s.push_back({"embed + position", shape_of(tokens),
               "Each patch goes through one linear layer to " + std::to_string(c.embed_dim) +
                   " numbers, plus its fixed sine-cosine position code (rows: patches, "
                   "columns: channels).",
               enlarge(diverging(tokens[0])),
               matrix_readout(tokens[0],
                              per_patch(l, [&](int64_t i) { return "the token of " + name(i); }))});
  int64_t len_keep = 0;
  auto noise = request_noise(c, request, &len_keep).to(device);
  const auto masking = masking_from_noise(noise, len_keep);
  auto ids_shuffle = at::argsort(noise, /*dim=*/int64_t{1});
  // Where each patch went, for the readouts: its noise, its place in the shuffle, its fate.
  const auto noise_of = as_vector<float>(noise[0]);
  const auto shuffled = as_vector<int64_t>(ids_shuffle[0]);
  const auto kept_ids = as_vector<int64_t>(masking.ids_keep[0]);
  std::vector<int64_t> place(static_cast<size_t>(l));
  for (int64_t i = 0; i < l; ++i) place[static_cast<size_t>(shuffled[static_cast<size_t>(i)])] = i;
  const auto removed = [&](int64_t patch) { return place[static_cast<size_t>(patch)] >= len_keep; };
  const auto noise_text = [&](int64_t patch) {
    return "noise " + fixed3(noise_of[static_cast<size_t>(patch)]);
  };
  const std::string keep_rule = "only the " + std::to_string(len_keep) + " smallest are kept";
  s.push_back({"noise", shape_of(noise),
               "One random number per patch (uniform noise for the random strategy); the " +
                   std::to_string(len_keep) + " smallest are kept. Brighter = larger.",
               enlarge(heat_colours(noise[0].reshape({gh, gw}))),
               cell_readout(per_patch(l,
                                      [&](int64_t i) {
                                        return name(i) + ": " + noise_text(i) + ", rank " +
                                               std::to_string(place[static_cast<size_t>(i)] + 1) +
                                               " of " + std::to_string(l) + " from the smallest: " +
                                               (removed(i) ? "removed (" + keep_rule + ")"
                                                           : std::string("kept"));
                                      }),
                            gh, gw)});
  s.push_back({"shuffle", shape_of(ids_shuffle),
               "Patches sorted by their noise (argsort): this order is the shuffle. Shown "
               "here as the patches in shuffled order.",
               enlarge(patch_grid(patches[0].index_select(0, ids_shuffle[0].cpu()), gw, c)),
               cell_readout(per_patch(l,
                                      [&](int64_t i) {
                                        const int64_t patch = shuffled[static_cast<size_t>(i)];
                                        return "place " + std::to_string(i) +
                                               " of the shuffle: " + name(patch) + ", " +
                                               noise_text(patch) + ": " +
                                               (i < len_keep ? "kept" : "removed");
                                      }),
                            gh, gw, c.patch)});
  auto kept = gather_rows(tokens, masking.ids_keep);
  s.push_back(
      {"keep", shape_of(kept),
       "Only the first " + std::to_string(len_keep) +
           " of the shuffled patches go on: " + std::to_string(l - len_keep) +
           " are removed. The encoder never sees them, which is why MAE is cheap.",
       enlarge(patch_grid(patches[0].index_select(0, masking.ids_keep[0].cpu()), gw, c)),
       cell_readout(padded_to_grid(per_patch(len_keep,
                                             [&](int64_t i) {
                                               return "kept token " + std::to_string(i) + ": " +
                                                      name(kept_ids[static_cast<size_t>(i)]);
                                             }),
                                   gw),
                    (len_keep + gw - 1) / gw, gw, c.patch)});
  auto latent = model->forward_encoder(x.to(device), noise, len_keep).latent;
  // Token rows after the encoder: the class token, then the kept patches in shuffled order.
  std::vector<std::string> latent_rows{"the class token"};
  for (int64_t i = 0; i < len_keep; ++i)
    latent_rows.push_back("the encoder's output for " + name(kept_ids[static_cast<size_t>(i)]));
  s.push_back({"encoder", shape_of(latent),
               "A class token is put first, then " + std::to_string(c.depth) +
                   " transformer blocks and a LayerNorm run on the visible tokens only.",
               enlarge(diverging(latent[0])), matrix_readout(latent[0], latent_rows)});
  auto dec = linear(model->decoder_embed, latent);
  const int64_t dd = dec.size(2);
  auto mask_tokens = model->mask_token.expand({1, l + 1 - dec.size(1), dd});
  auto appended = at::cat({dec, mask_tokens}, 1);
  auto appended_rows = latent_rows;
  for (int64_t i = len_keep; i < l; ++i)
    appended_rows.push_back("a mask token, for " + name(shuffled[static_cast<size_t>(i)]) +
                            " (the same learned vector in every such row)");
  s.push_back({"mask tokens appended", shape_of(appended),
               "The decoder projects to " + std::to_string(c.dec_dim) +
                   " channels and appends one shared, learned mask token per removed patch: the "
                   "identical rows at the bottom (pale: the token is small next to the visible "
                   "tokens).",
               enlarge(diverging(appended[0])), matrix_readout(appended[0], appended_rows)});
  auto body = gather_rows(appended.narrow(1, 1, l), masking.ids_restore);
  auto unshuffled = at::cat({appended.narrow(1, 0, 1), body}, 1) + model->decoder_pos_embed;
  std::vector<std::string> unshuffled_rows{"the class token"};
  for (int64_t i = 0; i < l; ++i)
    unshuffled_rows.push_back(name(i) + (removed(i) ? ": a mask token" : ": its encoder token") +
                              " plus its position code");
  s.push_back({"unshuffled", shape_of(unshuffled),
               "ids_restore puts every token back at its patch's place, and the decoder's "
               "position codes are added: now each removed position holds a mask token.",
               enlarge(diverging(unshuffled[0])), matrix_readout(unshuffled[0], unshuffled_rows)});
  auto pred = model->forward_decoder(latent, masking.ids_restore);
  auto target = patchify(x, c.patch);
  auto shown = prediction_to_pixels(c, pred.to(at::kCPU, at::kFloat), target,
                                    masking.mask.to(at::kCPU, at::kFloat));
  const auto predicted = unpatchify(shown, c.patch, gh, gw, c.in_chans);
  s.push_back({"decoder output", shape_of(pred),
               "The decoder's " + std::to_string(c.dec_depth) +
                   " blocks and a linear layer predict every patch's pixels" +
                   (c.norm_pix_loss ? " (per-patch normalised; shown de-normalised with visible "
                                      "neighbours' statistics)"
                                    : "") +
                   ".",
               enlarge(image_of(predicted, c)),
               image_readout(pixels_of(predicted, c), c.patch, per_patch(l, [&](int64_t i) {
                               return name(i) + (removed(i)
                                                     ? ": removed, so predicted from the others"
                                                     : ": visible; predicted too, but the loss "
                                                       "leaves it out");
                             }))});
  auto per_patch_error =
      (pred.to(at::kCPU, at::kFloat) - comparison_target(c, target)).pow(2).mean(-1)[0];
  auto loss_map = (per_patch_error * masking.mask[0].to(at::kCPU)).reshape({gh, gw});
  const auto errors = as_vector<float>(per_patch_error);
  char loss_text[160];
  std::snprintf(loss_text, sizeof loss_text,
                "Squared error per patch, counted on the %lld removed patches only: their mean, "
                "%.4f, is the loss. Visible patches (black) do not count.",
                static_cast<long long>(l - len_keep),
                (loss_map.sum() / std::max<int64_t>(1, l - len_keep)).item<double>());
  s.push_back({"per-patch loss", shape_of(per_patch_error.unsqueeze(0)), loss_text,
               enlarge(heat_colours(loss_map)),
               cell_readout(per_patch(l,
                                      [&](int64_t i) {
                                        const auto error = fixed3(errors[static_cast<size_t>(i)]);
                                        return name(i) + (removed(i)
                                                              ? ": squared error " + error +
                                                                    ", counted in the loss"
                                                              : ": visible, not counted (its "
                                                                "error would be " +
                                                                    error + ")");
                                      }),
                            gh, gw)});
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
