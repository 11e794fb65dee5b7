// Why: each step mirrors Block.forward and Attention.forward of the authors'
// timm blocks, so the recomputed encoder output can be checked against forward_encoder.
#include "infer/attention.h"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <cmath>

#include "data/augment.h"
#include "data/picture_fit.h"
#include "infer/colour_maps.h"
#include "model/gather_rows.h"
#include "model/vit_block.h"

namespace mae {

namespace {
// One block with its attention probabilities (1, heads, T, T) written to *probs.
at::Tensor block_with_attention(BlockImpl& block, const at::Tensor& x, at::Tensor* probs) {
  auto& attn = *block.attn;
  const int64_t b = x.size(0), n = x.size(1), c = x.size(2);
  const int64_t heads = attn.heads();
  auto parts = linear(attn.qkv, block.norm1(x))
                   .reshape({b, n, 3, heads, c / heads})
                   .permute({2, 0, 3, 1, 4})
                   .unbind(0);
  const double scale = 1.0 / std::sqrt(static_cast<double>(c / heads));
  *probs = at::softmax(at::matmul(parts[0], parts[1].transpose(-2, -1)) * scale, -1);
  auto out = at::matmul(*probs, parts[2]).transpose(1, 2).reshape({b, n, c});
  auto h = x + linear(attn.proj, out);
  return h + block.mlp(block.norm2(h));
}
}  // namespace

EncoderAttention encoder_attention(MaeModel& model, const at::Tensor& image,
                                   const MaskRequest& request) {
  torch::NoGradGuard no_grad;
  model->eval();
  const auto& c = model->config();
  const auto device = model->cls_token.device();
  auto x = normalize(fit_picture(image, c.in_chans, c.img_h, c.img_w), c.mean, c.std)
               .unsqueeze(0)
               .to(device);
  int64_t len_keep = 0;
  auto noise = request_noise(c, request, &len_keep);
  auto tokens = model->patch_embed(x) + model->pos_embed.narrow(1, 1, c.num_patches());
  const auto masking = masking_from_noise(noise.to(device), len_keep);
  tokens = gather_rows(tokens, masking.ids_keep);
  auto cls = model->cls_token + model->pos_embed.narrow(1, 0, 1);
  tokens = at::cat({cls, tokens}, 1);
  std::vector<at::Tensor> layers;
  for (const auto& module : *model->blocks) {
    at::Tensor probs;
    tokens = block_with_attention(*module->as<BlockImpl>(), tokens, &probs);
    layers.push_back(probs.squeeze(0).to(at::kCPU, at::kFloat));
  }
  EncoderAttention a;
  a.weights = at::stack(layers);
  a.ids_keep = masking.ids_keep.squeeze(0).to(at::kCPU);
  a.grid_h = c.grid_h();
  a.grid_w = c.grid_w();
  a.mask = masking.mask.to(at::kCPU, at::kFloat).reshape({a.grid_h, a.grid_w});
  a.latent = model->norm(tokens);
  return a;
}

at::Tensor attention_map(const EncoderAttention& a, int64_t layer, int64_t head,
                         int64_t query_token) {
  const int64_t t = a.weights.size(2);
  layer = std::clamp<int64_t>(layer, 0, a.weights.size(0) - 1);
  query_token = std::clamp<int64_t>(query_token, 0, t - 1);
  auto per_head = a.weights.select(0, layer).select(1, query_token);  // (heads, T)
  auto row = head < 0 ? per_head.mean(0)
                      : per_head.select(0, std::clamp<int64_t>(head, 0, per_head.size(0) - 1));
  auto map = at::zeros({a.grid_h * a.grid_w});
  map.index_put_({a.ids_keep}, row.narrow(0, 1, t - 1));
  return map.reshape({a.grid_h, a.grid_w});
}

at::Tensor attention_picture(const at::Tensor& image, const at::Tensor& map,
                             const at::Tensor& mask) {
  const int64_t h = image.size(1), w = image.size(2);
  const int64_t ph = h / map.size(0), pw = w / map.size(1);
  auto grey = image.to(at::kCPU, at::kFloat).mean(0, true).expand({3, h, w});
  auto colour = heat_colours(map).repeat_interleave(ph, 1).repeat_interleave(pw, 2);
  auto removed = mask.to(at::kCPU, at::kFloat).repeat_interleave(ph, 0).repeat_interleave(pw, 1);
  auto visible = 0.3 * grey + 0.7 * colour;
  // Removed patches in a dark blue-grey, the explorer's mask tint darkened, so that they
  // never read as a visible patch that got no attention (black).
  auto removed_colour = at::tensor({0.22f, 0.25f, 0.38f}).view({3, 1, 1});
  return (visible * (1 - removed) + removed_colour * removed).clamp(0, 1);
}

int64_t token_of_patch(const EncoderAttention& a, int64_t row, int64_t col) {
  const int64_t patch = row * a.grid_w + col;
  auto hits = (a.ids_keep == patch).nonzero();
  return hits.size(0) == 0 ? -1 : 1 + hits[0][0].item<int64_t>();
}

}  // namespace mae
