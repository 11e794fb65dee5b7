// Why: what users look at must be right: the four panels, pasted visible patches, any
// ratio, explicit masks, and the two baselines that `mae eval` compares against.
#include <doctest/doctest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <tuple>
#include <utility>

#include "data/augment.h"
#include "infer/attention.h"
#include "infer/evaluate.h"
#include "infer/pipeline_trace.h"
#include "infer/reconstruct.h"
#include "infer/stage_readouts.h"
#include "model/patchify.h"
#include "model/presets.h"
#include "small_configs.h"
#include "synthetic_dataset.h"
#include "test_support.h"

using namespace mae;

namespace {
MaeModel small() { return make_model(small_test_model(/*depth=*/1), 0); }
}  // namespace

TEST_CASE("reconstruct gives four consistent panels at any ratio") {
  auto model = small();
  model->eval();
  SyntheticDataset data(4, 1, 20);  // 20 px: resized and cropped to 16
  auto image = data.load(1);
  for (double ratio : {0.0, 0.5, 0.75, 0.95}) {
    MaskRequest request;
    request.ratio = ratio;
    auto r = reconstruct(model, image, request);
    CHECK(r.original.sizes() == torch::IntArrayRef({1, 16, 16}));
    CHECK(r.mask.sum().item<float>() == 16 - keep_count(16, ratio));
    auto pixel_mask = r.mask.repeat_interleave(4, 0).repeat_interleave(4, 1).unsqueeze(0);
    // visible pixels of the pasted panel are the original's
    CHECK(((r.pasted - r.original).abs() * (1 - pixel_mask)).max().item<float>() < 1e-5f);
    CHECK(((r.pasted - r.reconstruction).abs() * pixel_mask).max().item<float>() < 1e-5f);
    CHECK(std::isfinite(r.masked_mse));
    // The error of what is shown, over the removed pixels, on the pictures' own scale.
    const double shown =
        ((r.reconstruction - r.original).pow(2) * pixel_mask).sum().item<double>() /
        std::max(1.0, pixel_mask.sum().item<double>());
    CHECK(r.removed_pixel_mse == doctest::Approx(shown).epsilon(1e-5));
  }
  MaskRequest by_hand;
  by_hand.mask = torch::zeros({4, 4});
  (*by_hand.mask)[0][0] = 1;
  (*by_hand.mask)[3][2] = 1;
  auto r = reconstruct(model, image, by_hand);
  CHECK(torch::equal(r.mask, *by_hand.mask));
  // A hand-made mask fits as the 4x4 grid or its 16 patches, not as another grid's.
  const auto& config = model->config();
  CHECK(mask_fits(config, *by_hand.mask));
  CHECK(mask_fits(config, torch::zeros({16})));
  CHECK_FALSE(mask_fits(config, torch::zeros({2, 8})));
  CHECK_FALSE(mask_fits(config, torch::zeros({3, 3})));
  CHECK_FALSE(mask_fits(config, torch::zeros({9})));
  // the same seed gives the same mask, another seed another one
  MaskRequest a, b;
  b.seed = 1;
  CHECK(torch::equal(reconstruct(model, image, a).mask, reconstruct(model, image, a).mask));
  CHECK(!torch::equal(reconstruct(model, image, a).mask, reconstruct(model, image, b).mask));
}

TEST_CASE("a NaN prediction leaves the visible patches of the pasted panel as they were") {
  auto model = small();
  model->eval();
  {
    torch::NoGradGuard no_grad;
    model->decoder_pred->bias.fill_(NAN);
  }
  SyntheticDataset data(4, 1, 20);
  MaskRequest request;
  request.ratio = 0.5;
  const auto r = reconstruct(model, data.load(1), request);
  const auto visible = (1 - r.mask).repeat_interleave(4, 0).repeat_interleave(4, 1).unsqueeze(0);
  CHECK((r.pasted - r.original).masked_select(visible > 0.5).abs().max().item<float>() < 1e-5f);
  CHECK(std::isnan(r.masked_mse));
}

namespace {
// The nearest visible pixel the plain way: every visible patch tried for every hidden pixel, the
// first nearest in row-major order kept.
at::Tensor nearest_fill_trying_every_patch(const at::Tensor& image, const at::Tensor& mask,
                                           int64_t patch) {
  auto out = image.clone();
  const int64_t gh = mask.size(0), gw = mask.size(1);
  for (int64_t y = 0; y < gh * patch; ++y) {
    for (int64_t x = 0; x < gw * patch; ++x) {
      if (mask[y / patch][x / patch].item<float>() < 0.5f) continue;
      int64_t best = std::numeric_limits<int64_t>::max(), by = -1, bx = -1;
      for (int64_t i = 0; i < gh; ++i) {
        for (int64_t j = 0; j < gw; ++j) {
          if (mask[i][j].item<float>() > 0.5f) continue;
          const int64_t cy = std::clamp(y, i * patch, i * patch + patch - 1);
          const int64_t cx = std::clamp(x, j * patch, j * patch + patch - 1);
          const int64_t d = (y - cy) * (y - cy) + (x - cx) * (x - cx);
          if (d < best) std::tie(best, by, bx) = std::make_tuple(d, cy, cx);
        }
      }
      out.select(1, y).select(1, x).copy_(by < 0 ? at::zeros({image.size(0)})
                                                 : image.select(1, by).select(1, bx));
    }
  }
  return out;
}
}  // namespace

TEST_CASE("the nearest visible pixel is the one trying every visible patch finds, ties included") {
  // Masks at many ratios on grids of odd shapes and patch sizes, where equal distances are
  // common; the fill searches only the patches that can hold a pixel's nearest.
  torch::manual_seed(3);
  for (const int64_t patch : {1, 2, 3, 5}) {
    for (const auto& [gh, gw] : {std::pair<int64_t, int64_t>{4, 4}, {3, 7}, {6, 2}}) {
      for (const double ratio : {0.0, 0.3, 0.75, 0.9, 1.0}) {
        auto image = torch::rand({3, gh * patch, gw * patch});
        auto mask = (torch::rand({gh, gw}) < ratio).to(torch::kFloat);
        const auto want = nearest_fill_trying_every_patch(image, mask, patch);
        CHECK(torch::equal(nearest_visible_fill(image, mask, patch), want));
      }
    }
  }
}

TEST_CASE("baselines: mean fill and nearest visible pixel") {
  auto image = torch::arange(16, torch::kFloat).reshape({1, 4, 4});
  auto mask = torch::tensor({{0.f, 1.f}, {1.f, 1.f}});  // only the top-left 2x2 is visible
  auto mean = mean_fill(image, mask, 2);
  const float visible_mean = (0 + 1 + 4 + 5) / 4.0f;
  CHECK(mean[0][0][0].item<float>() == 0.0f);
  CHECK(mean[0][3][3].item<float>() == visible_mean);
  auto nearest = nearest_visible_fill(image, mask, 2);
  CHECK(nearest[0][1][1].item<float>() == 5.0f);  // visible, unchanged
  CHECK(nearest[0][0][3].item<float>() == 1.0f);  // nearest visible is (0, 1)
  CHECK(nearest[0][3][0].item<float>() == 4.0f);  // nearest visible is (1, 0)
  CHECK(nearest[0][3][3].item<float>() == 5.0f);  // nearest visible is (1, 1)
}

TEST_CASE("evaluate reports three finite errors on the same masks") {
  auto model = small();
  SyntheticDataset data(10, 1, 16);
  EvalOptions options;
  options.batch = 4;
  auto r = evaluate(model, data, options);
  CHECK(r.images == 10);
  CHECK(std::isfinite(r.model_mse));
  CHECK(r.mean_fill_mse > 0);
  CHECK(r.nearest_mse > 0);
  CHECK(evaluate(model, data, options).model_mse == r.model_mse);  // repeatable
}

namespace {
// A norm_pix model whose decoder predicts zeros everywhere: the check that no score or
// picture leans on the removed patches' own statistics.
MaeModel zero_output_norm_pix_model() {
  auto config = small_test_model(1);
  config.norm_pix_loss = true;
  auto model = make_model(config, 0);
  torch::NoGradGuard no_grad;
  model->decoder_pred->weight.zero_();
  model->decoder_pred->bias.zero_();
  model->eval();
  return model;
}
}  // namespace

TEST_CASE("norm_pix: a zero-output model scores no better than mean fill") {
  auto model = zero_output_norm_pix_model();
  SyntheticDataset data(12, 1, 16);
  EvalOptions options;
  options.batch = 4;
  auto r = evaluate(model, data, options);
  CHECK(r.space.find("per-patch normalized") != std::string::npos);
  // Gray mean fill is constant inside a patch, so normalized it is exactly zero too.
  CHECK(r.model_mse == doctest::Approx(r.mean_fill_mse).epsilon(1e-6));
  // What the old oracle (each removed patch de-normalised with its own mean and std) would
  // have reported for the same zero output, in normalized pixels: far below mean fill.
  double oracle = 0, oracle_mean_fill = 0, removed = 0;
  const auto& c = model->config();
  for (int64_t i = 0; i < data.size(); ++i) {
    auto x = normalize(data.load(i), c.mean, c.std).unsqueeze(0);
    auto target = patchify(x, c.patch);
    MaskRequest request;
    request.seed = static_cast<uint64_t>(i);
    int64_t keep = 0;
    auto out = model->forward(x, request_noise(c, request, &keep), keep);
    auto own_mean = target.mean(-1, true);
    oracle += ((own_mean - target).pow(2).mean(-1) * out.mask).sum().item<double>();
    auto fill = patchify(
        mean_fill(x[0], out.mask.reshape({c.grid_h(), c.grid_w()}), c.patch).unsqueeze(0), c.patch);
    oracle_mean_fill += ((fill - target).pow(2).mean(-1) * out.mask).sum().item<double>();
    removed += out.mask.sum().item<double>();
  }
  MESSAGE("zero output: honest " << r.model_mse << " vs mean fill " << r.mean_fill_mse
                                 << "; the oracle would have said " << oracle / removed
                                 << " vs mean fill " << oracle_mean_fill / removed);
  CHECK(oracle / removed < 0.8 * oracle_mean_fill / removed);
}

TEST_CASE("norm_pix: the pictures do not depend on the hidden pixels") {
  auto model = zero_output_norm_pix_model();
  SyntheticDataset data(4, 1, 16);
  auto image = data.load(2);
  MaskRequest request;
  request.mask = torch::zeros({4, 4});
  (*request.mask)[1][1] = 1;  // remove one patch: pixels (4..7, 4..7)
  (*request.mask)[2][3] = 1;
  auto changed = image.clone();
  changed.narrow(1, 4, 4).narrow(2, 4, 4).uniform_(0, 1);
  auto a = reconstruct(model, image, request);
  auto b = reconstruct(model, changed, request);
  CHECK(torch::equal(a.reconstruction, b.reconstruction));
  // A zero prediction de-normalised with the neighbours' statistics: each removed patch is
  // flat at the mean of its nearest visible patches.
  auto patch = a.reconstruction.narrow(1, 4, 4).narrow(2, 4, 4);
  CHECK((patch - patch.mean()).abs().max().item<float>() < 1e-5f);
}

TEST_CASE("norm_pix: a removed patch takes its nearest visible patches' statistics") {
  auto config = small_test_model();  // a 4 x 4 grid
  config.norm_pix_loss = true;
  const auto target = torch::rand({2, 16, 12}) * torch::arange(1, 17).view({1, 16, 1});
  auto mask = torch::zeros({2, 16});
  mask[0][0] = mask[0][5] = 1;  // image 0: two removed patches
  mask[1].fill_(1);             // image 1: nothing visible
  const auto out = prediction_to_pixels(config, torch::zeros({2, 16, 12}), target, mask);
  const auto own = target.mean(-1);
  auto average = [&](std::initializer_list<int64_t> cells) {
    double sum = 0;
    for (auto c : cells) sum += own[0][c].item<double>();
    return sum / static_cast<double>(cells.size());
  };
  // A zero prediction comes out as each patch's mean: its own where visible.
  CHECK(out[0][3].mean().item<double>() == doctest::Approx(own[0][3].item<double>()));
  CHECK(out[0][5].mean().item<double>() == doctest::Approx(average({1, 4, 6, 9})));
  CHECK(out[0][0].mean().item<double>() == doctest::Approx(average({1, 4})));
  CHECK(out[1].abs().max().item<double>() == 0.0);  // no visible patch: mean 0
  // A prediction of one is one std above: the neighbours' std, or 1 with none visible.
  const auto ones = prediction_to_pixels(config, torch::ones({2, 16, 12}), target, mask);
  const auto stds = (target.var(-1, true) + 1e-6).sqrt();
  CHECK((ones[0][0] - out[0][0]).mean().item<double>() ==
        doctest::Approx((stds[0][1] + stds[0][4]).item<double>() / 2));
  CHECK((ones[1] - 1).abs().max().item<double>() == 0.0);
}

TEST_CASE("attention: recomputed encoder equals forward_encoder and rows are distributions") {
  auto config = small_test_model(/*depth=*/2);
  auto model = mae::make_model(config, 3);
  model->eval();
  auto image = torch::rand({config.in_chans, config.img_h, config.img_w});
  mae::MaskRequest request;
  request.ratio = 0.5;
  request.seed = 7;
  const auto a = mae::encoder_attention(model, image, request);
  int64_t len_keep = 0;
  auto noise = mae::request_noise(config, request, &len_keep);
  torch::NoGradGuard no_grad;
  auto x = mae::normalize(mae::resize_center_crop(image, config.img_h, config.img_w), config.mean,
                          config.std)
               .unsqueeze(0);
  auto expected = model->forward_encoder(x, noise, len_keep).latent;
  CHECK(torch::allclose(a.latent, expected, 1e-5, 1e-5));
  CHECK(a.weights.size(0) == config.depth);
  CHECK(a.weights.size(1) == config.num_heads);
  CHECK(a.weights.size(2) == 1 + len_keep);
  CHECK(torch::allclose(a.weights.sum(-1),
                        torch::ones({config.depth, config.num_heads, 1 + len_keep}), 1e-5, 1e-5));
  auto map = mae::attention_map(a, 0, -1, 0);
  CHECK((map * a.mask).abs().sum().item<float>() == 0.0f);  // removed patches get nothing
  CHECK(map.sum().item<float>() < 1.0f);                    // the cls token's share is left out
  const int64_t first = a.ids_keep[0].item<int64_t>();
  CHECK(mae::token_of_patch(a, first / config.grid_w(), first % config.grid_w()) == 1);
}

TEST_CASE("pipeline trace: every stage has a shape, a sentence and a picture, and exports") {
  auto config = small_test_model(/*depth=*/2);
  auto model = mae::make_model(config, 3);
  auto image = torch::rand({config.in_chans, config.img_h, config.img_w});
  const auto stages = mae::trace_pipeline(model, image, {});
  REQUIRE(stages.size() == 11);
  for (const auto& s : stages) {
    CHECK(!s.shape.empty());
    CHECK(!s.explain.empty());
    CHECK(s.picture.size(0) == 3);
    CHECK(std::max(s.picture.size(1), s.picture.size(2)) >= 224);
    CHECK(s.picture.min().item<float>() >= 0.0f);
    CHECK(s.picture.max().item<float>() <= 1.0f);
  }
  CHECK(stages[1].name == "patchify");
  TempDir dir;
  CHECK(mae::export_pipeline_trace(stages, dir.path("trace")) == 12);
  CHECK(std::filesystem::exists(dir.path("trace/03-embed-position.png")));
}

TEST_CASE("step-through readouts name the pixel, patch or token under the pointer") {
  auto config = small_test_model(/*depth=*/1);  // 16 px, patches of 4: a 4x4 grid
  auto model = make_model(config, 3);
  auto image = torch::rand({config.in_chans, config.img_h, config.img_w});
  auto mask = torch::ones({16});
  for (int64_t kept : {0, 5, 10, 15}) mask[kept] = 0;
  MaskRequest request;
  request.mask = mask.view({4, 4});
  const auto stages = trace_pipeline(model, image, request);
  REQUIRE(stages.size() == 11);
  std::map<std::string, const PipelineStage*> by_name;
  for (const auto& s : stages) {
    REQUIRE(s.readout);
    CHECK(s.readout(-0.01, 0.5).empty());  // outside the picture
    CHECK(s.readout(0.5, 1.0).empty());
    by_name[s.name] = &s;
  }
  // The centre of cell (row, col) of a rows x cols picture.
  const auto read = [&](const std::string& stage, int64_t row, int64_t col, int64_t rows,
                        int64_t cols) {
    return by_name.at(stage)->readout((static_cast<double>(col) + 0.5) / static_cast<double>(cols),
                                      (static_cast<double>(row) + 0.5) / static_cast<double>(rows));
  };
  const auto has = [](const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  };
  // Counts the cells (or rows) of a stage whose text holds `part`.
  const auto count = [&](const std::string& stage, int64_t rows, int64_t cols,
                         const std::string& part) {
    int found = 0;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) found += has(read(stage, r, c, rows, cols), part);
    return found;
  };

  // The input: pixel (x 6, y 9) of 16x16 lies in patch 9 (row 2, column 1), value as drawn.
  const auto pixel = read("input", 9, 6, 16, 16);
  CHECK(has(pixel, "pixel (x 6, y 9) of 16x16: "));
  CHECK(has(pixel, "patch 9 (row 2, column 1)"));
  char value[16];
  std::snprintf(value, sizeof value, "%.3f", image[0][9][6].item<float>());
  CHECK(has(pixel, value));
  CHECK(has(read("patchify", 3, 2, 4, 4), "patch 14 (row 3, column 2): its 16 numbers"));
  // The noise and the shuffle say which patches stay: exactly the four the mask keeps.
  CHECK(count("noise", 4, 4, ": kept") == 4);
  CHECK(has(read("noise", 1, 1, 4, 4), "patch 5 (row 1, column 1)"));
  CHECK(has(read("noise", 1, 1, 4, 4), "kept"));
  CHECK(has(read("noise", 0, 1, 4, 4), "removed (only the 4 smallest are kept)"));
  CHECK(has(read("shuffle", 0, 3, 4, 4), "place 3 of the shuffle: "));
  CHECK(has(read("shuffle", 0, 3, 4, 4), ": kept"));
  CHECK(has(read("shuffle", 1, 0, 4, 4), ": removed"));
  // Four kept tokens fill one row of the keep grid, in the order of their noise.
  CHECK(has(read("keep", 0, 0, 1, 4), "kept token 0: patch "));
  CHECK(count("keep", 1, 4, "kept token") == 4);
  // Token matrices: the class token first, then the four visible patches (encoder), then
  // twelve mask tokens (appended), or every patch in place (unshuffled).
  CHECK(has(read("encoder", 0, 0, 5, 32), "row 0: the class token\nchannel 0 of 32: "));
  CHECK(count("encoder", 5, 1, "the encoder's output for patch") == 4);
  CHECK(count("mask tokens appended", 17, 1, "a mask token, for patch") == 12);
  CHECK(count("unshuffled", 17, 1, ": a mask token plus its position code") == 12);
  CHECK(has(read("unshuffled", 11, 0, 17, 32), "row 11: patch 10 (row 2, column 2): its encoder"));
  // The decoder's output and the loss: removed patches count, the visible four do not.
  CHECK(has(read("decoder output", 0, 4, 16, 16), "removed, so predicted from the others"));
  CHECK(has(read("decoder output", 15, 15, 16, 16), "visible; predicted too"));
  CHECK(count("per-patch loss", 4, 4, "counted in the loss") == 12);
  CHECK(
      has(read("per-patch loss", 3, 3, 4, 4), "patch 15 (row 3, column 3): visible, not counted"));
}

TEST_CASE("readout builders: token values with the colour scale, framed cells, patches") {
  const auto matrix = torch::tensor({1.0f, -2.0f, 3.0f, -4.5f}).view({2, 2});
  const auto tokens = matrix_readout(matrix, {"first", "second"});
  CHECK(tokens(0.75, 0.25) ==
        "row 0: first\nchannel 1 of 2: -2.000\ncolours: blue -4.500, white 0, red +4.500");
  CHECK(tokens(0.25, 0.75).find("row 1: second\nchannel 0 of 2: 3.000") == 0);
  // Two by two cells of 8 px framed by 1-px lines: 19 px across; pixel 9 is the middle line.
  const auto cells = cell_readout({"a", "b", "c", "d"}, 2, 2, 8);
  CHECK(cells(8.5 / 19, 0.1) == "a");
  CHECK(cells(10.5 / 19, 0.1) == "b");
  CHECK(cells(0.1, 18.5 / 19) == "c");
  CHECK(cells(0.99, 0.99) == "d");
  CHECK(cell_readout({"only"}, 1, 2)(0.75, 0.5).empty());  // a cell without a patch
  const auto grey = torch::full({1, 4, 4}, 0.25f);
  const auto pixels = image_readout(grey, 2, {"p0", "p1", "p2", "p3"});
  CHECK(pixels(0.9, 0.1) == "pixel (x 3, y 0) of 4x4: 0.250 (0 to 1)\np1");
  CHECK(patch_name(13, 4) == "patch 13 (row 3, column 1)");
}
