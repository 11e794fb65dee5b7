// Why: each function mirrors one function of the authors' models_mae.py.
#include "model/mae_model.h"

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <torch/nn/init.h>
#include <torch/utils.h>

#include <cmath>
#include <optional>

#include "model/gather_rows.h"
#include "model/patchify.h"
#include "model/pos_embed.h"
#include "model/residual_norm.h"
#include "model/vit_block.h"
#include "model/weight_casts.h"

namespace mae {

PatchEmbedImpl::PatchEmbedImpl(int64_t in_chans, int64_t dim, int64_t patch) : patch_(patch) {
  proj = register_module(
      "proj", torch::nn::Conv2d(torch::nn::Conv2dOptions(in_chans, dim, patch).stride(patch)));
}

at::Tensor PatchEmbedImpl::forward(const at::Tensor& images) {
  return forward_patches(patchify(images, patch_));
}

at::Tensor PatchEmbedImpl::forward_patches(const at::Tensor& patches) {
  // Conv weight (D, C, p, p) reordered to the patch-vector order (p, p, C).
  const auto& weight = proj->weight;
  auto w = weight.permute({0, 2, 3, 1}).reshape({weight.size(0), -1});
  return linear(patches, w, proj->bias);
}

namespace {
torch::nn::ModuleList make_blocks(int64_t count, int64_t dim, int64_t heads, double mlp_ratio,
                                  double eps) {
  torch::nn::ModuleList list;
  for (int64_t i = 0; i < count; ++i) list->push_back(Block(dim, heads, mlp_ratio, eps));
  return list;
}

// The blocks' output with its last residual sum left to the norm that follows them.
Residual run_blocks(torch::nn::ModuleList& blocks, const at::Tensor& x) {
  Residual r{x, at::Tensor()};
  for (const auto& module : *blocks) r = module->as<BlockImpl>()->forward_residual(r);
  return r;
}

}  // namespace

MaeModelImpl::MaeModelImpl(const MaeConfig& config, InitialWeights initial) : config_(config) {
  config_.validate();
  const auto& c = config_;
  const int64_t l = c.num_patches();
  cls_token = register_parameter("cls_token", at::zeros({1, 1, c.embed_dim}));
  pos_embed = register_buffer("pos_embed", at::zeros({1, l + 1, c.embed_dim}));
  patch_embed = register_module("patch_embed", PatchEmbed(c.in_chans, c.embed_dim, c.patch));
  blocks = register_module("blocks",
                           make_blocks(c.depth, c.embed_dim, c.num_heads, c.mlp_ratio, c.ln_eps));
  norm = register_module(
      "norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.embed_dim}).eps(c.ln_eps)));
  decoder_embed = register_module("decoder_embed", torch::nn::Linear(c.embed_dim, c.dec_dim));
  mask_token = register_parameter("mask_token", at::zeros({1, 1, c.dec_dim}));
  decoder_pos_embed = register_buffer("decoder_pos_embed", at::zeros({1, l + 1, c.dec_dim}));
  decoder_blocks = register_module(
      "decoder_blocks", make_blocks(c.dec_depth, c.dec_dim, c.dec_heads, c.mlp_ratio, c.ln_eps));
  decoder_norm = register_module(
      "decoder_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.dec_dim}).eps(c.ln_eps)));
  decoder_pred = register_module("decoder_pred", torch::nn::Linear(c.dec_dim, c.patch_dim()));
  if (initial == InitialWeights::Authors)
    reset_parameters();
  else
    reset_position_tables();
}

void MaeModelImpl::reset_position_tables() {
  torch::NoGradGuard no_grad;
  const auto& c = config_;
  pos_embed.copy_(sincos_pos_embed_2d(c.embed_dim, c.grid_h(), c.grid_w()));
  decoder_pos_embed.copy_(sincos_pos_embed_2d(c.dec_dim, c.grid_h(), c.grid_w()));
}

void MaeModelImpl::reset_parameters() {
  torch::NoGradGuard no_grad;
  const auto& c = config_;
  reset_position_tables();
  // xavier_uniform on the (D, C*p*p) view; the bias keeps Conv2d's default init.
  torch::nn::init::xavier_uniform_(patch_embed->proj->weight.view({c.embed_dim, -1}));
  const double bound = 1.0 / std::sqrt(static_cast<double>(c.patch_dim()));
  torch::nn::init::uniform_(patch_embed->proj->bias, -bound, bound);
  torch::nn::init::normal_(cls_token, 0.0, 0.02);
  torch::nn::init::normal_(mask_token, 0.0, 0.02);
  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* linear = module->as<torch::nn::LinearImpl>()) {
      torch::nn::init::xavier_uniform_(linear->weight);
      torch::nn::init::zeros_(linear->bias);
    } else if (auto* ln = module->as<torch::nn::LayerNormImpl>()) {
      torch::nn::init::ones_(ln->weight);
      torch::nn::init::zeros_(ln->bias);
    }
  }
}

MaeModelImpl::Encoded MaeModelImpl::forward_encoder(const at::Tensor& images,
                                                    const at::Tensor& noise, int64_t len_keep) {
  return encode_patches(patchify(images, config_.patch), noise, len_keep);
}

MaeModelImpl::Encoded MaeModelImpl::encode_patches(const at::Tensor& patches,
                                                   const at::Tensor& noise, int64_t len_keep) {
  // The authors embed every patch, add its position, then keep len_keep of them. Both act
  // patch by patch, so keeping the patches first gives the same rows for len_keep / L of the
  // work, and the backward scatters no zero gradients over the removed ones.
  Encoded out;
  out.masking = masking_from_noise(noise.to(patches.device()), len_keep);
  const int64_t n = patches.size(0), l = patches.size(1), d = config_.embed_dim;
  const auto& keep = out.masking.ids_keep;
  auto x = patch_embed->forward_patches(gather_rows(patches, keep)) +
           gather_table_rows(pos_embed[0].narrow(0, 1, l), keep);
  auto cls = (cls_token + pos_embed.narrow(1, 0, 1)).expand({n, 1, d});
  x = at::cat({cls, x}, 1);
  out.latent = norm(run_blocks(blocks, x).sum());  // float32 on a GPU too: the views read it
  return out;
}

at::Tensor MaeModelImpl::decoder_tokens(const at::Tensor& latent, const at::Tensor& ids_restore) {
  auto x = linear(decoder_embed, latent);
  const int64_t n = x.size(0), l = ids_restore.size(1), d = x.size(2);
  auto mask_tokens = mask_token.to(x.scalar_type()).expand({n, l + 1 - x.size(1), d});
  auto tokens = at::cat({x.narrow(1, 1, x.size(1) - 1), mask_tokens}, 1);
  tokens = gather_rows(tokens, ids_restore);
  return at::cat({x.narrow(1, 0, 1), tokens}, 1) + decoder_pos_embed;
}

at::Tensor MaeModelImpl::forward_decoder(const at::Tensor& latent, const at::Tensor& ids_restore) {
  const auto r = run_blocks(decoder_blocks, decoder_tokens(latent, ids_restore));
  const auto x = linear(decoder_pred, sum_and_norm(r.x, r.branch, decoder_norm).normed);
  return x.narrow(1, 1, ids_restore.size(1));
}

at::Tensor MaeModelImpl::forward_decoder_removed(const at::Tensor& latent, const Masking& masking) {
  Residual r{decoder_tokens(latent, masking.ids_restore), at::Tensor()};
  const auto rows = masking.ids_removed + 1;  // token 0 is cls
  const auto count = static_cast<int64_t>(decoder_blocks->size());
  for (int64_t i = 0; i + 1 < count; ++i)
    r = decoder_blocks[i]->as<BlockImpl>()->forward_residual(r);
  if (count > 0) {
    r = decoder_blocks[count - 1]->as<BlockImpl>()->forward_rows(r, rows);
  } else {
    r.x = gather_rows(r.x, rows);
  }
  return linear(decoder_pred, sum_and_norm(r.x, r.branch, decoder_norm).normed);
}

at::Tensor MaeModelImpl::patch_target(const at::Tensor& patches) const {
  if (!config_.norm_pix_loss) return patches;
  auto mean = patches.mean(-1, /*keepdim=*/true);
  auto var = patches.var(-1, /*unbiased=*/true, /*keepdim=*/true);
  return (patches - mean) / (var + 1e-6).sqrt();
}

at::Tensor MaeModelImpl::loss_target(const at::Tensor& images) const {
  return patch_target(patchify(images, config_.patch));
}

at::Tensor MaeModelImpl::forward_loss(const at::Tensor& images, const at::Tensor& pred,
                                      const at::Tensor& mask) const {
  auto target = loss_target(images.to(at::kFloat));
  auto per_patch = (pred.to(at::kFloat) - target).pow(2).mean(-1);
  // With nothing removed (ratio 0) the loss is defined as 0 rather than 0/0.
  return (per_patch * mask).sum() / mask.sum().clamp_min(1.0);
}

MaeOutput MaeModelImpl::forward(const at::Tensor& images, const at::Tensor& noise,
                                int64_t len_keep) {
  auto encoded = forward_encoder(images, noise, len_keep);
  MaeOutput out;
  out.pred = forward_decoder(encoded.latent, encoded.masking.ids_restore);
  out.mask = encoded.masking.mask;
  out.ids_restore = encoded.masking.ids_restore;
  out.loss = forward_loss(images, out.pred, out.mask);
  return out;
}

std::vector<at::Tensor> MaeModelImpl::linear_parameters() {
  std::vector<at::Tensor> out;
  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* linear = module->as<torch::nn::LinearImpl>()) {
      for (const auto& p : {linear->weight, linear->bias})
        if (p.defined() && p.requires_grad() && p.scalar_type() == at::kFloat) out.push_back(p);
    }
  }
  return out;
}

at::Tensor MaeModelImpl::training_loss(const at::Tensor& images, const at::Tensor& noise,
                                       int64_t len_keep) {
  std::optional<WeightCasts> casts;
  const auto device = cls_token.device().type();
  if (cast_weights_together && weight_casts_apply(device))
    casts.emplace(linear_parameters(), at::autocast::get_autocast_dtype(device));
  if (len_keep == config_.num_patches()) return forward(images, noise, len_keep).loss;  // 0
  const auto patches = patchify(images, config_.patch);
  auto encoded = encode_patches(patches, noise, len_keep);
  const auto& removed = encoded.masking.ids_removed;
  auto pred = forward_decoder_removed(encoded.latent, encoded.masking);
  auto target = patch_target(gather_rows(patches, removed).to(at::kFloat));
  auto per_patch = (pred.to(at::kFloat) - target).pow(2).mean(-1);
  // Every row is a removed patch, so the authors' masked mean is the plain mean.
  return per_patch.mean();
}

MaeModel make_model(const MaeConfig& config, uint64_t seed) {
  torch::manual_seed(seed);
  return MaeModel(config);
}

}  // namespace mae
