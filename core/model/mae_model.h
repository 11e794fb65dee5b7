// Why: the Masked Autoencoder itself, read like the authors' models_mae.py: an encoder on
// visible patches only, a light decoder with mask tokens, and the masked-patch loss.
// Parameter names equal the authors' state_dict keys, so import/export is a rename-free copy.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "model/config.h"
#include "model/masking.h"

namespace mae {

struct MaeOutput {
  at::Tensor loss;         // scalar, mean over removed patches
  at::Tensor pred;         // (N, L, p*p*C)
  at::Tensor mask;         // (N, L), 1 = removed
  at::Tensor ids_restore;  // (N, L)
};

class PatchEmbedImpl : public torch::nn::Module {
 public:
  PatchEmbedImpl(int64_t in_chans, int64_t dim, int64_t patch);
  // (N, C, H, W) -> (N, L, D); a p x p stride-p conv computed as a matmul on patches.
  at::Tensor forward(const at::Tensor& images);
  at::Tensor forward_patches(const at::Tensor& patches);

  torch::nn::Conv2d proj{nullptr};  // weight (D, C, p, p), bias (D): the authors' layout

 private:
  int64_t patch_;
};
TORCH_MODULE(PatchEmbed);

// What a new model's weights hold: the authors' random initialization, or whatever is cheapest
// because a checkpoint's or a trainer's weights are copied over all of them next (drawing the
// authors' took 0.9 s of a ViT-L's 2.2 s on one core; the fixed sin-cos tables are made anyway).
enum class InitialWeights { Authors, Overwritten };

class MaeModelImpl : public torch::nn::Module {
 public:
  explicit MaeModelImpl(const MaeConfig& config, InitialWeights initial = InitialWeights::Authors);

  // Masks with the reference algorithm driven by `noise` (N, L), keeping len_keep patches.
  MaeOutput forward(const at::Tensor& images, const at::Tensor& noise, int64_t len_keep);
  // forward(...).loss, for training. The loss reads only the removed patches' predictions,
  // so the decoder's last block, decoder_norm and decoder_pred run on those rows alone
  // (a quarter fewer at ratio 0.75), and the pixels are patchified once. The same loss and
  // gradients up to float summation order; the authors' forward stays for every view.
  at::Tensor training_loss(const at::Tensor& images, const at::Tensor& noise, int64_t len_keep);

  struct Encoded {
    at::Tensor latent;  // (N, 1 + len_keep, D), cls first
    Masking masking;
  };
  Encoded forward_encoder(const at::Tensor& images, const at::Tensor& noise, int64_t len_keep);
  at::Tensor forward_decoder(const at::Tensor& latent, const at::Tensor& ids_restore);
  // The decoder's predictions for the removed patches only, (N, L - len_keep, p*p*C), in
  // masking.ids_removed order.
  at::Tensor forward_decoder_removed(const at::Tensor& latent, const Masking& masking);
  at::Tensor forward_loss(const at::Tensor& images, const at::Tensor& pred,
                          const at::Tensor& mask) const;
  // The target the loss compares with: patchified pixels, per-patch normalized if enabled.
  at::Tensor loss_target(const at::Tensor& images) const;

  // The authors' initialization (xavier Linear, normal(0.02) tokens, sin-cos tables).
  void reset_parameters();
  // The weights and biases of every Linear layer that trains.
  std::vector<at::Tensor> linear_parameters();
  // Whether training_loss under autocast casts the Linear weights together (weight_casts.h).
  // Their gradients then all arrive at the end of backward, so data-parallel ranks, which send
  // gradients while backward runs, turn it off.
  bool cast_weights_together = true;
  const MaeConfig& config() const { return config_; }

  at::Tensor cls_token;          // (1, 1, D)
  at::Tensor pos_embed;          // buffer (1, L+1, D), fixed sin-cos
  at::Tensor mask_token;         // (1, 1, D_dec)
  at::Tensor decoder_pos_embed;  // buffer (1, L+1, D_dec)
  PatchEmbed patch_embed{nullptr};
  torch::nn::ModuleList blocks{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::Linear decoder_embed{nullptr};
  torch::nn::ModuleList decoder_blocks{nullptr};
  torch::nn::LayerNorm decoder_norm{nullptr};
  torch::nn::Linear decoder_pred{nullptr};

 private:
  // The fixed sin-cos position tables, which every model holds whatever its other weights.
  void reset_position_tables();
  Encoded encode_patches(const at::Tensor& patches, const at::Tensor& noise, int64_t len_keep);
  // The decoder's input: embedded latent, mask tokens, unshuffled, plus positions (N, L+1, D).
  at::Tensor decoder_tokens(const at::Tensor& latent, const at::Tensor& ids_restore);
  at::Tensor patch_target(const at::Tensor& patches) const;

  MaeConfig config_;
};
TORCH_MODULE(MaeModel);

// Builds a model from a seed so that construction is repeatable.
MaeModel make_model(const MaeConfig& config, uint64_t seed);

}  // namespace mae
