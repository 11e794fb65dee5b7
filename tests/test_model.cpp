// Why: the model's invariants, checked against values computed by hand: patch order,
// sin-cos tables, masking, the loss over removed patches only, norm_pix and gradients.
#include <ATen/CPUGeneratorImpl.h>
#include <doctest/doctest.h>
#include <torch/torch.h>

#include <cmath>

#include "model/mae_model.h"
#include "model/masking.h"
#include "model/patchify.h"
#include "model/pos_embed.h"
#include "model/presets.h"
#include "model/vit_block.h"
#include "train/device.h"

using namespace mae;

namespace {
MaeConfig tiny_config() {
  MaeConfig c = find_preset("fmnist-tiny").model;
  c.img_h = 8;
  c.img_w = 12;  // H != W on purpose
  c.patch = 4;
  c.in_chans = 3;
  c.embed_dim = 16;
  c.depth = 2;
  c.num_heads = 2;
  c.dec_dim = 8;
  c.dec_depth = 1;
  c.dec_heads = 2;
  c.mean = default_mean(3);
  c.std = default_std(3);
  return c;
}
}  // namespace

TEST_CASE("patchify orders row-in-patch, column-in-patch, channel and inverts exactly") {
  auto img = torch::arange(2 * 3 * 4 * 6, torch::kFloat).reshape({2, 3, 4, 6});
  auto p = patchify(img, 2);
  CHECK(p.sizes() == torch::IntArrayRef({2, 6, 12}));
  // patch (row 0, col 1) of image 0: pixel (0, 2) channel 0, then channel 1, ...
  CHECK(p[0][1][0].item<float>() == img[0][0][0][2].item<float>());
  CHECK(p[0][1][1].item<float>() == img[0][1][0][2].item<float>());
  CHECK(p[0][1][3].item<float>() == img[0][0][0][3].item<float>());
  CHECK(p[0][1][6].item<float>() == img[0][0][1][2].item<float>());
  CHECK(torch::equal(unpatchify(p, 2, 2, 3, 3), img));
  auto gray = torch::rand({1, 1, 8, 4});
  CHECK(torch::equal(unpatchify(patchify(gray, 4), 4, 2, 1, 1), gray));
  CHECK_THROWS_AS(patchify(torch::rand({1, 3, 5, 4}), 2), std::invalid_argument);
}

TEST_CASE("sin-cos table matches hand-computed values") {
  const int64_t dim = 8;  // quarter = 2: omega = {1, 1/100}
  auto t = sincos_pos_embed_2d(dim, 2, 3);
  CHECK(t.sizes() == torch::IntArrayRef({1, 7, 8}));
  CHECK(t[0][0].abs().sum().item<float>() == 0.0f);
  // token for row 1, column 2 is 1 + 1*3 + 2 = 6
  auto row = t[0][6];
  CHECK(row[0].item<float>() == doctest::Approx(std::sin(2.0)));
  CHECK(row[1].item<float>() == doctest::Approx(std::sin(0.02)));
  CHECK(row[2].item<float>() == doctest::Approx(std::cos(2.0)));
  CHECK(row[3].item<float>() == doctest::Approx(std::cos(0.02)));
  CHECK(row[4].item<float>() == doctest::Approx(std::sin(1.0)));
  CHECK(row[5].item<float>() == doctest::Approx(std::sin(0.01)));
  CHECK(row[6].item<float>() == doctest::Approx(std::cos(1.0)));
  CHECK(row[7].item<float>() == doctest::Approx(std::cos(0.01)));
  CHECK(row[0].item<float>() == static_cast<float>(std::sin(2.0)));  // float64 then cast
}

TEST_CASE("random masking keeps floor(L(1-r)) and ids_restore inverts ids_shuffle") {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  for (double ratio : {0.0, 0.5, 0.75, 0.9}) {
    auto noise = torch::rand({4, 49}, gen);
    const int64_t keep = keep_count(49, ratio);
    CHECK(keep == static_cast<int64_t>(49 * (1 - ratio)));
    auto m = masking_from_noise(noise, keep);
    CHECK(m.ids_keep.size(1) == keep);
    CHECK(m.mask.sum(1).eq(49 - keep).all().item<bool>());
    auto ids_shuffle = torch::argsort(noise, int64_t{1});
    auto arange = torch::arange(49).expand({4, 49});
    CHECK(torch::equal(torch::gather(ids_shuffle, 1, m.ids_restore), arange));
    // the kept patches are exactly the smallest-noise ones, and mask is in original order
    auto kth = std::get<0>(noise.sort(1)).narrow(1, keep > 0 ? keep - 1 : 0, 1);
    if (keep > 0) CHECK(torch::equal(m.mask.eq(0), noise.le(kth)));
  }
  CHECK_THROWS(keep_count(49, 1.0));
}

TEST_CASE("block and grid strategies remove the right count with their shape") {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
  for (auto strategy : {MaskStrategy::Random, MaskStrategy::Block, MaskStrategy::Grid}) {
    auto noise = strategy_noise(strategy, 3, 14, 14, 0.75, gen);
    auto m = masking_from_noise(noise, keep_count(196, 0.75));
    CHECK(m.mask.sum(1).eq(147).all().item<bool>());
  }
  // grid at 75%: the kept patches form a 2x2 lattice
  auto m = masking_from_noise(strategy_noise(MaskStrategy::Grid, 1, 14, 14, 0.75, gen), 49);
  auto kept = m.mask.reshape({14, 14}).eq(0).nonzero();
  auto rows = kept.select(1, 0), cols = kept.select(1, 1);
  CHECK((rows.remainder(2) == rows[0].item<int64_t>() % 2).all().item<bool>());
  CHECK((cols.remainder(2) == cols[0].item<int64_t>() % 2).all().item<bool>());
  // grid at 50%: a checkerboard, not the random mask
  auto half = masking_from_noise(strategy_noise(MaskStrategy::Grid, 1, 14, 14, 0.5, gen), 98)
                  .mask.reshape({14, 14});
  auto parity = (torch::arange(14).view({14, 1}) + torch::arange(14).view({1, 14})).remainder(2);
  CHECK((torch::equal(half, parity.to(torch::kFloat)) ||
         torch::equal(half, (1 - parity).to(torch::kFloat))));
  // grid at 25%: one patch in four removed, on a lattice (no two removed side by side)
  auto quarter = masking_from_noise(strategy_noise(MaskStrategy::Grid, 1, 14, 14, 0.25, gen), 147)
                     .mask.reshape({14, 14});
  CHECK(quarter.sum().item<float>() == 49);
  CHECK((quarter.narrow(1, 0, 13) * quarter.narrow(1, 1, 13)).sum().item<float>() == 0);
  // the note says when the lattice and the ratio's count disagree on the grid
  CHECK(mask_pattern_note(MaskStrategy::Grid, 14, 14, 0.75).empty());
  CHECK(mask_pattern_note(MaskStrategy::Grid, 14, 14, 0.5).empty());
  CHECK(mask_pattern_note(MaskStrategy::Grid, 7, 7, 0.75).find("2x2 lattice keeps 9-16") !=
        std::string::npos);
  CHECK(mask_pattern_note(MaskStrategy::Random, 7, 7, 0.75).empty());
  // block: removed patches are clustered (far more removed neighbours than random)
  auto block = masking_from_noise(strategy_noise(MaskStrategy::Block, 1, 14, 14, 0.5, gen), 98)
                   .mask.reshape({14, 14});
  auto same_right = block.narrow(1, 0, 13).eq(block.narrow(1, 1, 13)).to(torch::kFloat).mean();
  CHECK(same_right.item<float>() > 0.7f);
  // a caller-given mask is used as is
  auto given = torch::zeros({1, 196});
  given.narrow(1, 10, 20).fill_(1);
  int64_t keep = 0;
  auto given_noise = noise_from_mask(given, gen, &keep);  // sets keep before it is used
  auto gm = masking_from_noise(given_noise, keep);
  CHECK(keep == 176);
  CHECK(torch::equal(gm.mask, given));
}

TEST_CASE("the loss counts only removed patches and norm_pix normalizes the target") {
  auto c = tiny_config();
  auto model = make_model(c, 0);
  auto img = torch::randn({2, 3, 8, 12});
  auto pred = torch::randn({2, 6, 48});
  auto mask = torch::tensor({{1.f, 0.f, 0.f, 1.f, 0.f, 0.f}, {0.f, 0.f, 1.f, 0.f, 0.f, 0.f}});
  auto target = patchify(img, 4);
  auto per_patch = (pred - target).pow(2).mean(-1);
  const double expected = (per_patch[0][0].item<double>() + per_patch[0][3].item<double>() +
                           per_patch[1][2].item<double>()) /
                          3.0;
  CHECK(model->forward_loss(img, pred, mask).item<double>() == doctest::Approx(expected));
  // changing a kept patch's prediction changes nothing
  auto pred2 = pred.clone();
  pred2[0][1].fill_(100);
  CHECK(model->forward_loss(img, pred2, mask).item<double>() == doctest::Approx(expected));

  c.norm_pix_loss = true;
  auto npx = make_model(c, 0);
  auto t = npx->loss_target(img);
  auto mean = target.mean(-1, true), var = target.var(-1, true, true);
  CHECK(torch::allclose(t, (target - mean) / (var + 1e-6).sqrt(), 1e-5, 1e-6));
  CHECK(t.mean(-1).abs().max().item<float>() < 1e-5f);
}

TEST_CASE("forward shapes, init and gradients reach every parameter") {
  auto c = tiny_config();
  auto model = make_model(c, 1);
  CHECK(model->pos_embed.sizes() == torch::IntArrayRef({1, 7, 16}));
  CHECK(torch::equal(model->pos_embed, sincos_pos_embed_2d(16, 2, 3)));
  auto* lin = model->decoder_pred.get();
  CHECK(lin->bias.abs().sum().item<float>() == 0.0f);
  const double bound = std::sqrt(6.0 / (8 + 48));
  CHECK(lin->weight.abs().max().item<double>() <= bound);
  auto img = torch::randn({3, 3, 8, 12});
  auto out = model->forward(img, torch::rand({3, 6}), 2);
  CHECK(out.pred.sizes() == torch::IntArrayRef({3, 6, 48}));
  CHECK(out.mask.sum().item<float>() == 12.0f);
  out.loss.backward();
  int with_grad = 0, total = 0;
  for (const auto& p : model->named_parameters()) {
    ++total;
    if (p.value().grad().defined() && p.value().grad().abs().sum().item<double>() > 0)
      ++with_grad;
    else
      MESSAGE("no gradient: " << p.key());
  }
  CHECK(with_grad == total);
  CHECK(model->named_parameters().contains("blocks.1.attn.qkv.weight"));
  CHECK(model->named_parameters().contains("patch_embed.proj.weight"));
  CHECK(model->named_parameters().contains("decoder_blocks.0.mlp.fc2.bias"));
  CHECK(model->named_buffers().contains("decoder_pos_embed"));
}

TEST_CASE("the patch embedding equals the authors' stride-p convolution") {
  auto c = tiny_config();
  auto model = make_model(c, 2);
  auto img = torch::randn({2, 3, 8, 12});
  auto conv =
      torch::conv2d(img, model->patch_embed->proj->weight, model->patch_embed->proj->bias, 4);
  auto expected = conv.flatten(2).transpose(1, 2);
  CHECK(torch::allclose(model->patch_embed(img), expected, 1e-5, 1e-5));
}

TEST_CASE("the encoder keeps patches before embedding them: the authors' embed-then-keep result") {
  auto c = tiny_config();
  c.img_h = c.img_w = 16;  // 16 patches, 4 kept
  auto model = make_model(c, 4);
  auto img = torch::randn({3, 3, 16, 16});
  auto noise = torch::rand({3, 16});
  const auto directions = torch::randn({3, 5, c.embed_dim});
  // models_mae.py's order: every patch embedded and placed, then len_keep of them kept.
  auto embed_all = [&] {
    auto x = model->patch_embed(img) + model->pos_embed.narrow(1, 1, 16);
    const auto keep = masking_from_noise(noise, 4).ids_keep;
    x = torch::gather(x, 1, keep.unsqueeze(-1).expand({3, 4, c.embed_dim}));
    x = torch::cat({(model->cls_token + model->pos_embed.narrow(1, 0, 1)).expand({3, 1, -1}), x},
                   1);
    for (const auto& block : *model->blocks) x = block->as<BlockImpl>()->forward(x);
    return model->norm(x);
  };
  auto gradients = [&](const torch::Tensor& latent) {
    model->zero_grad();
    (latent * directions).sum().backward();
    return std::vector<torch::Tensor>{model->patch_embed->proj->weight.grad().clone(),
                                      model->patch_embed->proj->bias.grad().clone(),
                                      model->cls_token.grad().clone()};
  };
  const auto reference = embed_all();
  const auto ours = model->forward_encoder(img, noise, 4).latent;
  CHECK(torch::allclose(ours, reference, 1e-6, 1e-6));
  const auto expected = gradients(reference);
  const auto got = gradients(model->forward_encoder(img, noise, 4).latent);
  // Sums over 4 rows or 16 (12 of them zero) round differently: within 1e-6 of the largest.
  for (size_t i = 0; i < got.size(); ++i) CHECK(torch::allclose(got[i], expected[i], 1e-5, 1e-5));
}

TEST_CASE("training_loss gives forward's loss and gradients with the last decoder rows trimmed") {
  struct Case {
    int64_t dec_depth, len_keep;
    bool norm_pix;
  };
  // 16 patches: a typical ratio, nothing removed, one patch kept; no decoder block at all.
  for (const auto& k : {Case{2, 4, true}, Case{2, 4, false}, Case{1, 16, true}, Case{1, 1, true},
                        Case{0, 4, true}}) {
    CAPTURE(k.dec_depth);
    CAPTURE(k.len_keep);
    CAPTURE(k.norm_pix);
    auto c = tiny_config();
    c.img_h = c.img_w = 16;
    c.dec_depth = k.dec_depth;
    c.norm_pix_loss = k.norm_pix;
    auto model = make_model(c, 5);
    const auto img = torch::randn({3, 3, 16, 16});
    const auto noise = torch::rand({3, 16});
    auto loss_and_gradients = [&](const torch::Tensor& loss) {
      model->zero_grad();
      loss.backward();
      std::vector<torch::Tensor> out{loss.detach()};
      for (const auto& p : model->parameters())
        out.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
      return out;
    };
    const auto expected = loss_and_gradients(model->forward(img, noise, k.len_keep).loss);
    const auto got = loss_and_gradients(model->training_loss(img, noise, k.len_keep));
    REQUIRE(got.size() == expected.size());
    CHECK(got[0].item<double>() == doctest::Approx(expected[0].item<double>()).epsilon(1e-6));
    for (size_t i = 1; i < got.size(); ++i) {
      CAPTURE(i);
      CHECK(torch::allclose(got[i], expected[i], 1e-5, 1e-7));
    }
    if (k.len_keep == 16) CHECK(got[0].item<double>() == 0.0);
  }
}

TEST_CASE(
    "under CPU bf16 autocast (--cpu-bf16) training_loss follows fp32 within bf16's precision") {
  // The bf16 path has its own pieces: attention widened to our float32 kernel, GELU in
  // torch's bf16 kernel, casts at every linear layer. Their loss and gradients must be fp32's
  // to bf16's precision (8 bits of mantissa).
  auto c = tiny_config();
  c.img_h = c.img_w = 16;
  c.dec_depth = 2;
  auto model = make_model(c, 9);
  const auto img = torch::randn({4, 3, 16, 16});
  const auto noise = torch::rand({4, 16});
  auto loss_and_gradient = [&](bool bf16) {
    model->zero_grad();
    torch::Tensor loss;
    {
      AutocastScope autocast("cpu", bf16);
      loss = model->training_loss(img, noise, 4);
    }
    loss.backward();
    std::vector<torch::Tensor> grads;
    for (const auto& p : model->parameters())
      if (p.grad().defined()) grads.push_back(p.grad().flatten());
    return std::make_pair(loss.item<double>(), torch::cat(grads));
  };
  const auto [fp32_loss, fp32_grad] = loss_and_gradient(false);
  const auto [bf16_loss, bf16_grad] = loss_and_gradient(true);
  CHECK(bf16_loss == doctest::Approx(fp32_loss).epsilon(2e-2));
  CHECK(bf16_grad.isfinite().all().item<bool>());
  const double cosine =
      (bf16_grad.dot(fp32_grad) / (bf16_grad.norm() * fp32_grad.norm())).item<double>();
  MESSAGE("loss fp32 " << fp32_loss << ", bf16 " << bf16_loss << "; gradient cosine " << cosine);
  CHECK(cosine > 0.999);
}

TEST_CASE("presets are valid and the paper sizes are right") {
  for (const auto& p : all_presets()) CHECK_NOTHROW(p.model.validate());
  CHECK(find_preset("vit-l16").model.embed_dim == 1024);
  CHECK(find_preset("vit-h14").model.num_patches() == 256);
  CHECK_THROWS_AS(find_preset("nope"), std::invalid_argument);
}
