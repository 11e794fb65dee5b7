// Why: the masking explorer and the windows built on it: the ratio slider, painted masks,
// attention, the step-through, compare, hover read-outs and exports (views and curves).
#include <doctest/doctest.h>
#include <imgui.h>
#include <imgui_internal.h>
#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>

#include "data/image_io.h"
#include "inference_worker.h"
#include "io/checkpoint.h"
#include "keys.h"
#include "panels.h"
#include "patch_readout.h"
#include "studio_app.h"
#include "studio_harness.h"
#include "view_compose.h"

using namespace mae;
using namespace mae::studio;
using namespace mae::studio::testing;

TEST_CASE("explorer: ratio changes coalesce, patches toggle, seeds re-roll") {
  LaunchedApp launched("mae-studio-test-explorer");
  auto& [dir, ui, renderer, app] = launched;
  auto& e = app.state().explorer;
  // A burst of slider moves between two frames produces one request, for the last value.
  for (float r : {0.1f, 0.3f, 0.5f, 0.9f}) app.set_ratio(r);
  const auto before = e.next_request_id;
  ui.frame(app);
  CHECK(e.next_request_id == before + 1);
  REQUIRE(frames_until(ui, app, [&] { return e.shown_request_id == before; }));
  CHECK(e.result->main.mask.sum().item<float>() == 49 - keep_count(49, 0.9));
  // the ratio sweep arrives after the main view, for the same request
  REQUIRE(frames_until(ui, app, [&] { return e.result->sweep.size() == 4; }));
  CHECK(e.shown_request_id == before);

  const auto mask_before = e.result->main.mask.clone();
  app.toggle_patch(0, 0);
  CHECK(e.manual);
  CHECK(e.manual_mask[0][0].item<float>() != mask_before[0][0].item<float>());
  const auto id = e.next_request_id;
  REQUIRE(frames_until(ui, app, [&] { return e.shown_request_id == id; }));
  CHECK(torch::equal(e.result->main.mask, e.manual_mask));

  const int seed = e.seed;
  ui.press(app, keys::kR);
  CHECK(e.seed != seed);
  CHECK_FALSE(e.manual);
}

// Esc closes an open dropdown, as everywhere else. It stayed open, and the click that then
// closed it was lost: the explorer's ratio slider, dragged next, did not move.
TEST_CASE("Esc closes an open dropdown, and the next drag moves a slider") {
  LaunchedApp launched("mae-studio-test-esc-dropdown");
  auto& [dir, ui, renderer, app] = launched;
  auto& e = app.state().explorer;
  auto menu_open = [] {
    return ImGui::IsPopupOpen("", ImGuiPopupFlags_AnyPopupId | ImGuiPopupFlags_AnyPopupLevel);
  };
  const auto ratio_at = ui.find_item(app, "Masking explorer", "ratio");
  ui.click(app, ui.find_item(app, "Masking explorer", "strategy"));
  REQUIRE(menu_open());
  app.state().show_help = true;
  ui.press(app, keys::kEscape);
  ui.frame(app);
  CHECK_FALSE(menu_open());
  CHECK(e.strategy == MaskStrategy::Random);
  CHECK(app.state().show_help);  // one Esc closes one thing: the dropdown on top
  const float before = e.ratio;
  ui.drag(app, ratio_at, ImVec2(ratio_at.x + 150, ratio_at.y));
  CHECK(e.ratio > before + 0.05f);
  ui.press(app, keys::kEscape);
  CHECK_FALSE(app.state().show_help);
}

TEST_CASE("dragging across the masked image paints a line of patches and leaves the window") {
  LaunchedApp launched("mae-studio-test-paint");
  auto& [dir, ui, renderer, app] = launched;
  auto& e = app.state().explorer;
  REQUIRE(frames_until(ui, app, [&] { return e.result.has_value() && e.masked_view_rect[2] > 0; }));
  ImGuiWindow* window = ImGui::FindWindowByName("Masking explorer");
  REQUIRE(window != nullptr);
  const ImVec2 window_before = window->Pos;
  const auto mask_before = e.result->main.mask.clone();  // 7 x 7 patches
  const float x0 = e.masked_view_rect[0], y0 = e.masked_view_rect[1];
  const float cell = e.masked_view_rect[2] / 7.0f;
  auto& io = ImGui::GetIO();
  // Press in patch (3, 0), drag right along row 3 to patch (3, 6), release.
  for (int step = 0; step <= 12; ++step) {
    io.MousePos = ImVec2(x0 + cell * (0.5f + 0.5f * static_cast<float>(step)), y0 + cell * 3.5f);
    io.MouseDown[0] = true;
    ui.frame(app);
  }
  io.MouseDown[0] = false;
  ui.frame(app);
  CHECK(window->Pos.x == window_before.x);
  CHECK(window->Pos.y == window_before.y);
  REQUIRE(e.manual);
  // The first patch flipped, and every patch of the row now holds that painted value.
  const float painted = 1.0f - mask_before[3][0].item<float>();
  for (int col = 0; col < 7; ++col) CHECK(e.manual_mask[3][col].item<float>() == painted);
  for (int row : {0, 1, 2, 4, 5, 6}) CHECK(torch::equal(e.manual_mask[row], mask_before[row]));
}

TEST_CASE("attention: the explorer shows where a clicked visible patch looks, per layer") {
  LaunchedApp launched("mae-studio-test-attention");
  auto& [dir, ui, renderer, app] = launched;
  auto& e = app.state().explorer;
  app.show_attention(true);
  REQUIRE(frames_until(ui, app, [&] { return e.result && e.result->attention; }));
  const auto& att = *e.result->attention;
  CHECK(att.weights.size(2) == 1 + (49 - e.result->main.mask.sum().item<int64_t>()));
  const int64_t patch = att.ids_keep[0].item<int64_t>();
  app.set_attention_query(static_cast<int>(patch / 7), static_cast<int>(patch % 7));
  ui.frame(app);
  ui.frame(app);
  const auto& view = e.attention.view;
  REQUIRE(!view.empty());
  // Removed patches are drawn blue-grey (the encoder never saw them); visible ones in heat
  // colours, the most attended one white.
  auto removed =
      e.result->main.mask.repeat_interleave(4, 0).repeat_interleave(4, 1).to(torch::kBool);
  auto red = view.rgb.select(2, 0), blue = view.rgb.select(2, 2);
  CHECK(torch::all(blue.masked_select(removed) > red.masked_select(removed)).item<bool>());
  CHECK(red.masked_select(~removed).max().item<uint8_t>() > 200);
  CHECK(e.attention.view_row == patch / 7);
  // The hover readout's shares are the map the picture shows.
  CHECK(torch::equal(e.attention.map, attention_map(att, e.attention.layer, e.attention.head, 1)));
}

TEST_CASE("attention: weights of another shape never meet the old model's attention") {
  // A run of another preset, followed by the explorer: its first reconstruction comes before
  // its attention, and the old model's attention (another patch grid) must not be drawn over
  // the new picture. It was, and the app ended on a tensor size mismatch.
  LaunchedApp launched("mae-studio-test-attention-shape");
  auto& [dir, ui, renderer, app] = launched;
  auto& e = app.state().explorer;
  app.show_attention(true);
  REQUIRE(frames_until(ui, app, [&] { return e.result && e.result->attention; }));
  app.begin_paint_stroke();  // a hand-made mask on the old patch grid, too
  app.toggle_patch(0, 0);
  const auto config = one_block_config("rgb-small");
  auto model = make_model(config, 0);
  app.worker().set_weights(config, model_state(model), "training step 1", 1, 1.0);
  const auto grid = [](const at::Tensor& mask) { return mask.sizes().vec(); };
  const std::vector<int64_t> new_grid{config.grid_h(), config.grid_w()};
  REQUIRE(frames_until(ui, app, [&] {
    if (!e.result || grid(e.result->main.mask) != new_grid) return false;
    if (e.result->attention) {
      CHECK(grid(e.result->attention->mask) == new_grid);
      CHECK(e.result->main.original.width() == config.img_w);
    }
    return e.result->extras_done;
  }));
  for (int i = 0; i < 2; ++i) ui.frame(app);
  CHECK(e.attention.view.width() == config.img_w);
  CHECK_FALSE(e.manual);  // that mask does not fit the new grid: the message says so
  CHECK(std::any_of(app.state().log.begin(), app.state().log.end(), [](const std::string& line) {
    return line.find("hand-made mask") != std::string::npos;
  }));
}

TEST_CASE(
    "a patch painted on the previous model's picture is not sent to a model of another grid") {
  // Found by the chaos test under ThreadSanitizer: weights of another shape arrived, and a
  // patch clicked before their first picture made a mask of the old grid (7x7) from the old
  // picture. Every request then failed ("shape '[1, 49]' is invalid for input of size 64")
  // and the explorer kept the old picture.
  LaunchedApp launched("mae-studio-test-paint-stale");
  auto& [dir, ui, renderer, app] = launched;
  auto& s = app.state();
  auto& e = s.explorer;
  const auto settled = [&](int64_t grid) {
    return frames_until(ui, app, [&] {
      return e.result && e.result->main.mask.size(0) == grid && !e.dirty && e.result->extras_done;
    });
  };
  const auto failed = [&] {
    return std::any_of(s.log.begin(), s.log.end(), [](const std::string& line) {
      return line.find("is invalid for input") != std::string::npos;
    });
  };
  // Two strokes on the old grid: the first one's mask is kept for the undo below.
  app.begin_paint_stroke();
  app.toggle_patch(0, 0);
  app.begin_paint_stroke();
  app.toggle_patch(1, 1);
  REQUIRE(settled(7));
  const auto config = one_block_config("rgb-small");
  auto model = make_model(config, 0);
  app.worker().set_weights(config, model_state(model), "training step 1", 1, 1.0);
  // The frame that sees the new model asks for its picture; the old one is still shown.
  REQUIRE(frames_until(ui, app, [&] {
    return e.model_version_seen == app.worker().model_info().version &&
           app.worker().model_info().config.grid_h() == config.grid_h();
  }));
  REQUIRE(e.result->main.mask.size(0) == 7);
  CHECK_FALSE(e.manual);  // the painted mask does not fit: dropped, and the log says so
  app.begin_paint_stroke();
  app.toggle_patch(0, 0);
  CHECK_FALSE(e.manual);
  REQUIRE(settled(config.grid_h()));
  CHECK_FALSE(failed());
  // Painting now paints on the new grid.
  app.begin_paint_stroke();
  app.toggle_patch(7, 7);
  CHECK(e.manual);
  CHECK(e.manual_mask.size(0) == config.grid_h());
  // Undo back to the mask painted on the old grid: it is not sent either.
  for (int i = 0; i < 3; ++i) app.undo_mask();
  REQUIRE(e.manual);
  REQUIRE(e.manual_mask.size(0) == 7);
  REQUIRE(settled(config.grid_h()));
  CHECK_FALSE(e.manual);
  CHECK_FALSE(failed());
}

TEST_CASE(
    "a painted mask that meets weights of another grid in the worker gives way to the ratio") {
  // Weights of a run of another preset can arrive between a request and its turn: the mask
  // painted for the model before does not fit them. It failed the request with a shape error.
  InferenceWorker worker;
  const auto config = one_block_config("rgb-small");
  auto model = make_model(config, 0);
  worker.set_weights(config, model_state(model), "training step 1", 1, 1.0);
  ExploreRequest request;
  request.image = torch::rand({3, config.img_h, config.img_w});
  request.mask.ratio = 0.75;
  request.mask.mask = torch::zeros({7, 7});
  request.id = 1;
  worker.submit(request);  // taken after the weights, which came first
  const auto result = next_result(worker);
  REQUIRE(result.has_value());
  CHECK(result->error.empty());
  CHECK(result->main.mask.size(0) == config.grid_h());
  CHECK(result->main.mask.sum().item<float>() == 48);  // 75 % of 64 patches, by the ratio
}

TEST_CASE("the worker fits a picture to its model once, and gives what reconstruct gives") {
  // Each request shrank the full picture again (five times with the ratio sweep), and the UI
  // thread made its grey copy: a 108-MP photo took 350 ms a slider move, a 12-MP one 46 ms.
  InferenceWorker worker;
  const auto grey = one_block_config("fmnist-tiny");
  auto grey_model = make_model(grey, 0);
  grey_model->eval();
  worker.set_weights(grey, model_state(grey_model), "training step 1", 1, 1.0);
  const auto picture = torch::rand({3, 300, 200});  // colour, and not the model's size
  auto request_for = [&](uint64_t id, uint64_t seed) {
    ExploreRequest request;
    request.image = picture;
    request.mask.ratio = 0.75;
    request.mask.seed = seed;
    request.id = id;
    return request;
  };
  for (uint64_t seed : {3, 4}) {  // the second request finds the picture already fitted
    worker.submit(request_for(seed, seed));
    const auto result = next_result(worker);
    REQUIRE(result.has_value());
    REQUIRE(result->error.empty());
    MaskRequest mask;
    mask.ratio = 0.75;
    mask.seed = seed;
    const auto expected = reconstruct(grey_model, convert_channels(picture, 1), mask);
    // Within float rounding: the worker's thread may sum with another thread count.
    CHECK(result->main.masked_mse == doctest::Approx(expected.masked_mse).epsilon(1e-6));
    CHECK(result->main.removed_pixel_mse ==
          doctest::Approx(expected.removed_pixel_mse).epsilon(1e-6));
    // The time from asking to seeing is its three parts, one after another.
    const auto& t = result->timing;
    CHECK(t.waited_ms >= 0.0);
    CHECK(t.fit_ms >= 0.0);
    CHECK(t.model_ms > 0.0);
    CHECK(t.waited_ms + t.fit_ms + t.model_ms <= t.total_ms + 1e-9);
  }
  // A model of another input size and channel count fits the same picture anew.
  const auto colour = one_block_config("rgb-small");
  auto colour_model = make_model(colour, 0);
  colour_model->eval();
  worker.set_weights(colour, model_state(colour_model), "training step 2", 2, 1.0);
  worker.submit(request_for(5, 5));
  const auto result = next_result(worker);
  REQUIRE(result.has_value());
  REQUIRE(result->error.empty());
  MaskRequest mask;
  mask.ratio = 0.75;
  mask.seed = 5;
  CHECK(result->main.masked_mse ==
        doctest::Approx(reconstruct(colour_model, picture, mask).masked_mse).epsilon(1e-6));
}

TEST_CASE("a moved slider reuses the ratio sweep, which a new seed, strategy or weights remake") {
  // The sweep's masks come from the seed and strategy at its own ratios: remaking it on every
  // slider move took ViT-B/16 on this CPU four reconstructions of ~180 ms each, every time.
  InferenceWorker worker;
  const auto config = one_block_config("fmnist-tiny");
  auto model = make_model(config, 0);
  worker.set_weights(config, model_state(model), "training step 1", 1, 1.0);
  const auto picture = torch::rand({1, 28, 28});
  uint64_t id = 0;
  auto sweep_of = [&](double ratio, uint64_t seed, MaskStrategy strategy, bool painted) {
    ExploreRequest request;
    request.image = picture;
    request.mask.ratio = ratio;
    request.mask.seed = seed;
    request.mask.strategy = strategy;
    if (painted) request.mask.mask = torch::ones({7, 7});
    request.sweep_ratios = {0.75, 0.9};
    request.id = ++id;
    worker.submit(request);
    std::optional<ExploreResult> result;
    while ((result = next_result(worker)) && !result->extras_done) {
    }
    REQUIRE(result.has_value());
    REQUIRE(result->error.empty());
    REQUIRE(result->sweep.size() == 2);
    return result->sweep;
  };
  auto same_views = [](const auto& a, const auto& b) {
    return a[0].second.mask.is_same(b[0].second.mask) && a[1].second.mask.is_same(b[1].second.mask);
  };
  const auto first = sweep_of(0.5, 3, MaskStrategy::Random, false);
  CHECK(same_views(first, sweep_of(0.6, 3, MaskStrategy::Random, false)));
  CHECK(same_views(first, sweep_of(0.2, 3, MaskStrategy::Random, true)));
  const auto reseeded = sweep_of(0.5, 4, MaskStrategy::Random, false);
  CHECK_FALSE(same_views(first, reseeded));
  for (size_t i = 0; i < 2; ++i) {  // what a fresh reconstruction at the sweep's ratio gives
    MaskRequest mask;
    mask.ratio = reseeded[i].first;
    mask.seed = 4;
    CHECK(torch::equal(reseeded[i].second.mask, reconstruct(model, picture, mask).mask));
  }
  CHECK_FALSE(same_views(reseeded, sweep_of(0.5, 4, MaskStrategy::Block, false)));
  const auto before_weights = sweep_of(0.5, 4, MaskStrategy::Random, false);
  worker.set_weights(config, model_state(model), "training step 2", 2, 1.0);
  CHECK_FALSE(same_views(before_weights, sweep_of(0.5, 4, MaskStrategy::Random, false)));
}

namespace {
// Moves the mouse over the picture `export_name` draws in `window`, in 8 px steps, until
// ImGui says it is hovered; false if no point of the window hovers it.
bool hover_view(HeadlessImGui& ui, StudioApp& app, const char* window, const char* export_name) {
  const ImGuiWindow* w = ImGui::FindWindowByName(window);
  if (w == nullptr) return false;
  const ImGuiID view_id = ImHashStr("view", 0, ImHashStr(export_name, 0, w->ID));
  for (float y = w->Pos.y; y < w->Pos.y + w->Size.y; y += 8)
    for (float x = w->Pos.x; x < w->Pos.x + w->Size.x; x += 8) {
      ImGui::GetIO().MousePos = ImVec2(x, y);
      ui.frame(app);
      if (ImGui::GetCurrentContext()->HoveredId == view_id) return true;
    }
  return false;
}

// To the window's bottom-left corner, where no picture is, for a frame.
void move_mouse_off_views(HeadlessImGui& ui, StudioApp& app, const char* window) {
  const ImGuiWindow* w = ImGui::FindWindowByName(window);
  ImGui::GetIO().MousePos = ImVec2(w->Pos.x + 2, w->Pos.y + w->Size.y - 2);
  ui.frame(app);
}

bool tooltip_shown() {
  const ImGuiWindow* tip = ImGui::FindWindowByName("##Tooltip_00");
  return tip != nullptr && tip->Active;
}
}  // namespace

TEST_CASE("step-through: stages arrive, arrow keys step, the sequence exports") {
  LaunchedApp launched("mae-studio-test-steps");
  auto& [dir, ui, renderer, app] = launched;
  auto& s = app.state();
  s.export_dir = (dir / "exports").string();
  app.show_step_through(true);
  REQUIRE(frames_until(ui, app,
                       [&] { return s.explorer.result && !s.explorer.result->stages.empty(); }));
  CHECK(s.explorer.result->stage_views.size() == s.explorer.result->stages.size());
  // The window is focused when it first appears; Right moves on, Left comes back.
  // A frame with the key up between presses, so that each is a new press.
  ImGui::SetWindowFocus("Step-through");
  ui.press(app, keys::kRightArrow);
  ui.frame(app);
  ui.press(app, keys::kRightArrow);
  ui.frame(app);
  CHECK(s.step_through.stage == 2);
  ui.press(app, keys::kLeftArrow);
  CHECK(s.step_through.stage == 1);
  // Hovering the stage's picture reads out the patch under the pointer.
  REQUIRE(hover_view(ui, app, "Step-through", "pipeline-stage"));
  ui.frame(app);
  CHECK(tooltip_shown());
  move_mouse_off_views(ui, app, "Step-through");
  CHECK_FALSE(tooltip_shown());
  app.export_step_through();
  CHECK(s.status.find("exported 12 files") != std::string::npos);
  int pngs = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(s.export_dir))
    pngs += entry.path().extension() == ".png";
  CHECK(pngs == 11);
}

TEST_CASE("compare: a second checkpoint reconstructs the same image with the same mask") {
  LaunchedApp launched("mae-studio-test-compare");
  auto& [dir, ui, renderer, app] = launched;
  auto& s = app.state();
  const auto config = one_block_config("fmnist-tiny");
  const auto other = (dir / "other.safetensors").string();
  auto model = make_model(config, 99);
  save_checkpoint(other, model, {}, nullptr, 3, 0.9);
  app.open_compare_checkpoint(other);
  REQUIRE(frames_until(ui, app, [&] { return s.compare.result.has_value(); }));
  REQUIRE(s.explorer.result);
  CHECK(torch::equal(s.compare.result->main.mask, s.explorer.result->main.mask));
  CHECK(s.compare.result->main.masked_mse != s.explorer.result->main.masked_mse);
  CHECK(std::isfinite(s.compare.result->main.removed_pixel_mse));
  CHECK(s.compare.result->main.removed_pixel_mse != s.explorer.result->main.removed_pixel_mse);
  CHECK(compare_note(config, config) == "same image, same mask");
  // Models of other spaces (norm_pix, another normalization): their own MSEs do not compare.
  auto norm_pix = config;
  norm_pix.norm_pix_loss = true;
  CHECK(compare_note(config, norm_pix) ==
        "same image, same mask; the masked-patch MSEs are in different spaces (A: normalized "
        "pixels (mean 0.449, std 0.226); B: per-patch normalized pixels (norm_pix) (mean 0.449, "
        "std 0.226)): compare the removed-pixel MSEs");
  const auto rgb = find_preset("rgb-small").model;
  CHECK(compare_note(config, rgb).find("the patch grids differ") == 0);
  CHECK(compare_note(config, rgb)
            .find("B: normalized pixels (mean 0.485 0.456 0.406, std 0.229 "
                  "0.224 0.225)") != std::string::npos);
  // A new explorer mask is followed by B.
  app.set_ratio(0.5f);
  REQUIRE(frames_until(ui, app, [&] {
    return s.compare.result && s.explorer.result &&
           s.explorer.result->main.mask.sum().item<float>() == 49 - keep_count(49, 0.5) &&
           torch::equal(s.compare.result->main.mask, s.explorer.result->main.mask);
  }));
}

TEST_CASE("explorer: grid at 0.5 gives a grid, not the random mask") {
  LaunchedApp launched("mae-studio-test-grid");
  auto& [dir, ui, renderer, app] = launched;
  auto& e = app.state().explorer;
  app.set_mask_settings({0.5f, MaskStrategy::Grid, 3});
  const auto id = e.next_request_id;
  REQUIRE(frames_until(ui, app, [&] { return e.shown_request_id == id; }));
  const auto mask = e.result->main.mask;
  CHECK(mask.sum().item<float>() == 49 - keep_count(49, 0.5));
  // A checkerboard has no two removed patches side by side; one random extra adds at most 4.
  auto right = (mask.narrow(1, 0, 6) * mask.narrow(1, 1, 6)).sum().item<float>();
  auto down = (mask.narrow(0, 0, 6) * mask.narrow(0, 1, 6)).sum().item<float>();
  CHECK(right + down <= 4);
  app.set_mask_settings({0.5f, MaskStrategy::Random, 3});
  const auto random_id = e.next_request_id;
  REQUIRE(frames_until(ui, app, [&] { return e.shown_request_id == random_id; }));
  CHECK_FALSE(torch::equal(e.result->main.mask, mask));
}

TEST_CASE("explorer: a hovered patch of the reconstruction reads out its place and error") {
  // The readout itself, on a 2 x 2 grid with the top-left patch removed.
  const auto view =
      make_view(torch::full({1, 8, 8}, 0.5), torch::tensor({{1.0f, 0.0f}, {0.0f, 0.0f}}),
                torch::tensor({{0.75f, 0.125f}, {0.0f, 2.5f}}));
  CHECK(patch_readout(view, 0, 0, "normalised pixels", 2.0f) ==
        "patch row 0, column 0: removed; the decoder filled it in\n"
        "error 0.750 (mean squared, in normalised pixels)\n"
        "heat map: 0 blue, 2 and above yellow");
  CHECK(patch_readout(view, 1, 1, "pixels", 0.0f) ==
        "patch row 1, column 1: visible; the encoder saw it (the loss leaves it out)\n"
        "error 2.500 (mean squared, in pixels)");
  // In the app: the mouse over the reconstruction brings the readout up.
  LaunchedApp launched("mae-studio-test-readout");
  auto& [dir, ui, renderer, app] = launched;
  ui.frame(app);
  REQUIRE(hover_view(ui, app, "Masking explorer", "explorer-reconstruction"));
  ui.frame(app);
  CHECK(tooltip_shown());
  move_mouse_off_views(ui, app, "Masking explorer");
  CHECK_FALSE(tooltip_shown());
}

TEST_CASE("explorer: Ctrl+Z undoes paint strokes and brings a painted mask back after R") {
  LaunchedApp launched("mae-studio-test-undo");
  auto& [dir, ui, renderer, app] = launched;
  auto& e = app.state().explorer;
  const auto automatic = e.result->main.mask.clone();
  app.begin_paint_stroke();
  app.toggle_patch(0, 0);
  app.toggle_patch(0, 1);
  const auto painted = e.manual_mask.clone();
  ui.press(app, keys::kR);  // re-roll leaves the painted mask, undoably
  CHECK_FALSE(e.manual);
  ui.frame(app);
  ui.press(app, keys::kZ, /*ctrl=*/true);
  CHECK(e.manual);
  CHECK(torch::equal(e.manual_mask, painted));
  ui.frame(app);
  const auto id = e.next_request_id;       // the request the undo makes
  ui.press(app, keys::kZ, /*ctrl=*/true);  // the stroke goes as a whole
  CHECK_FALSE(e.manual);
  REQUIRE(frames_until(ui, app, [&] { return e.shown_request_id == id; }));
  CHECK(torch::equal(e.result->main.mask, automatic));
}

TEST_CASE("exports are what is on screen: tint, grid and heat map, enlarged") {
  ImageView view =
      make_view(torch::full({1, 8, 8}, 0.5), torch::tensor({{1.0f, 0.0f}, {0.0f, 0.0f}}),
                torch::tensor({{0.0f, 0.0f}, {0.0f, 2.0f}}));
  const auto plain = compose_view(view, ViewStyle{}, 4);
  CHECK(plain.sizes() == torch::IntArrayRef({3, 32, 32}));
  ViewStyle tinted;
  tinted.tint_mask = true;
  auto t = compose_view(view, tinted, 4);
  CHECK(t[2][5][5].item<float>() > plain[2][5][5].item<float>());  // removed patch tinted blue
  CHECK(t[2][20][20].item<float>() == plain[2][20][20].item<float>());
  ViewStyle grid;
  grid.patch_grid = true;
  auto g = compose_view(view, grid, 4);
  CHECK(g[0][16][5].item<float>() > plain[0][16][5].item<float>());  // a patch edge
  CHECK(g[0][17][5].item<float>() == plain[0][17][5].item<float>());
  ViewStyle heat;
  heat.heat_map = true;
  auto h = compose_view(view, heat, 4);
  CHECK(h[0][20][20].item<float>() > h[2][20][20].item<float>());  // hot: yellow
  CHECK(h[2][5][5].item<float>() > h[0][5][5].item<float>());      // cold: blue

  LaunchedApp launched("mae-studio-test-export-all");
  auto& [dir, ui, renderer, app] = launched;
  app.state().export_dir = (dir / "exports").string();
  REQUIRE(frames_until(ui, app, [&] { return app.state().explorer.result->extras_done; }));
  app.export_explorer_views();
  int pngs = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir / "exports"))
    pngs += entry.path().extension() == ".png";
  CHECK(pngs == 8);  // four views and the four sweep ratios
}

namespace {
// How many pixels of an exported (3, H, W) picture have the colour `rgb`.
int64_t pixels_of(const torch::Tensor& picture, std::array<float, 3> rgb) {
  auto close = torch::ones({picture.size(1), picture.size(2)}, torch::kBool);
  for (int k = 0; k < 3; ++k) close &= (picture[k] - rgb[k]).abs() < 0.02;
  return close.sum().item<int64_t>();
}
}  // namespace

TEST_CASE("the Curves panel exports its curves as a picture, earlier runs and legend included") {
  LaunchedApp launched("mae-studio-test-export-curves");
  auto& [dir, ui, renderer, app] = launched;
  auto& s = app.state();
  s.export_dir = (dir / "exports").string();
  app.export_curves();
  CHECK(s.status == "no curve to export yet: a curve needs two steps");

  CurveState earlier;
  earlier.name = "run 1";
  for (int step = 1; step <= 200; ++step) {
    const double loss = 1.0 + 3.0 / step;
    s.curves.points.add(step, loss + 0.1 * (step % 3), 1e-3);
    earlier.points.add(step, loss + 0.5, 1e-3);
  }
  s.earlier_curves.push_back(earlier);
  s.curves.name = "run 2";
  s.curves.log_scale = true;
  app.export_curves();
  REQUIRE(s.status.rfind("exported " + s.export_dir + "/curves-", 0) == 0);
  const auto picture = load_image(s.status.substr(std::string("exported ").size()), 3);
  CHECK(picture.sizes() == torch::IntArrayRef({3, 1080, 1920}));
  // Each series is drawn in its colour: the smoothed loss orange, the earlier run grey.
  CHECK(pixels_of(picture, {0.95f, 0.55f, 0.05f}) > 500);
  CHECK(pixels_of(picture, {0.55f, 0.55f, 0.55f}) > 500);
}

TEST_CASE("the Experiments window exports its loss curves, each ratio in its colour, as zoomed") {
  LaunchedApp launched("mae-studio-test-export-sweep-curves");
  auto& [dir, ui, renderer, app] = launched;
  auto& s = app.state();
  s.export_dir = (dir / "exports").string();
  app.export_sweep_curves();
  CHECK(s.status == "no sweep curve to export yet: the curves appear as the sweep's runs train");

  // Two ratios' runs: the first of 200 steps, the second stopped after 50.
  auto& x = s.experiments;
  x.curves.resize(2);
  x.curves[0].ratio = 0.25;
  x.curves[1].ratio = 0.9;
  for (int step = 1; step <= 200; ++step) {
    x.curves[0].points.add(step, 1.0 + 3.0 / step, 1e-3);
    if (step <= 50) x.curves[1].points.add(step, 1.5 + 3.0 / step, 1e-3);
  }
  const auto exported = [&] {
    app.export_sweep_curves();
    REQUIRE(s.status.rfind("exported " + s.export_dir + "/sweep-curves-", 0) == 0);
    return load_image(s.status.substr(std::string("exported ").size()), 3);
  };
  const auto low = sweep_ratio_colour(0, 2), high = sweep_ratio_colour(1, 2);
  const auto every_step = exported();
  CHECK(every_step.sizes() == torch::IntArrayRef({3, 1080, 1920}));
  CHECK(pixels_of(every_step, low) > 500);
  CHECK(pixels_of(every_step, high) > 500);
  // Zoomed past the second run's last step, the picture shows the steps zoomed to: only the
  // first run's line (the legend still names each ratio drawn).
  x.curves_zoom = StepSpan{100, 150, false};
  const auto zoomed = exported();
  CHECK(pixels_of(zoomed, low) > 500);
  CHECK(pixels_of(zoomed, high) == 0);
}
