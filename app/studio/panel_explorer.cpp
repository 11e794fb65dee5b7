// Why: the Masking explorer: the user's image at any ratio, strategy and seed, patches
// clicked or painted in and out of the mask, grid overlay, error heat map, and the same
// image at several ratios side by side (the paper's figure).
#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "infer/attention.h"
#include "panels.h"
#include "patch_readout.h"
#include "studio_app.h"

namespace mae::studio {

namespace {

struct PatchAt {
  int row, col;
};

// The patch of a (grid_h, grid_w) grid under the pointer at `uv` (draw_view's), if any.
std::optional<PatchAt> patch_at(ImVec2Pair uv, int64_t grid_h, int64_t grid_w) {
  if (uv.x < 0 || uv.y < 0 || uv.x >= 1 || uv.y >= 1) return std::nullopt;
  return PatchAt{static_cast<int>(uv.y * static_cast<float>(grid_h)),
                 static_cast<int>(uv.x * static_cast<float>(grid_w))};
}

// Click toggles the patch under the mouse; dragging paints that new value.
void handle_painting(StudioApp& app, ImVec2Pair uv, const at::Tensor& mask) {
  auto& e = app.state().explorer;
  auto& paint = e.paint;
  if (!ImGui::IsMouseDown(ImGuiMouseButton_Left)) {
    paint.drag_removes.reset();
    return;
  }
  const auto at = mask.defined() ? patch_at(uv, mask.size(0), mask.size(1)) : std::nullopt;
  if (!at) return;
  const auto [row, col] = *at;
  const at::Tensor& current = e.manual ? e.manual_mask : mask;
  const bool removed = current[row][col].item<float>() > 0.5f;
  if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) {
    paint.drag_removes = !removed;
    app.begin_paint_stroke();
    app.toggle_patch(row, col);
  } else if (paint.drag_removes && (row != paint.last_row || col != paint.last_col) &&
             removed != *paint.drag_removes) {
    app.toggle_patch(row, col);
  }
  paint.last_row = row;
  paint.last_col = col;
}

// The masked image with the chosen attention map as its heat map, rebuilt only when the
// result or the choice changes (so its texture is uploaded once).
const ImageView& attention_view(ExplorerState& e) {
  auto& a = e.attention;
  const auto& r = *e.result;
  if (a.view_of_request != e.shown_request_id || a.view_layer != a.layer || a.view_head != a.head ||
      a.view_row != a.query_row || a.view_col != a.query_col || a.view.empty()) {
    const auto& att = *r.attention;
    int64_t token = 0;
    if (a.query_row >= 0)
      token = std::max<int64_t>(0, token_of_patch(att, a.query_row, a.query_col));
    auto map = attention_map(att, a.layer, a.head, token);
    auto original = r.main.original.rgb.permute({2, 0, 1}).to(at::kFloat).div(255.0);
    // The attention's own mask: while a newer one is computed the old attention stays.
    a.view = make_view(attention_picture(original, map, att.mask), att.mask);
    a.map = map;
    a.view_of_request = e.shown_request_id;
    a.view_layer = a.layer;
    a.view_head = a.head;
    a.view_row = a.query_row;
    a.view_col = a.query_col;
  }
  return a.view;
}

void draw_attention(StudioApp& app, ExplorerState& e, float width) {
  auto& a = e.attention;
  const auto& att = *e.result->attention;
  const int layers = static_cast<int>(att.weights.size(0));
  const int heads = static_cast<int>(att.weights.size(1));
  a.layer = std::clamp(a.layer, 0, layers - 1);
  a.head = std::clamp(a.head, -1, heads - 1);
  ImGui::BeginGroup();
  // Caption and map first, level with the pictures beside them; the sliders below.
  if (a.query_row < 0) {
    caption("from the cls token; click a patch", "cls; click a patch", width);
  } else {
    // The clicked patch may be removed under a newer mask: the map is then the cls token's.
    const bool removed = token_of_patch(att, a.query_row, a.query_col) < 0;
    char full[64], brief[32];
    std::snprintf(full, sizeof full,
                  removed ? "patch (%d, %d) removed: from cls" : "from patch (%d, %d)", a.query_row,
                  a.query_col);
    std::snprintf(brief, sizeof brief, removed ? "(%d, %d) removed: cls" : "from (%d, %d)",
                  a.query_row, a.query_col);
    caption(full, brief, width);
    same_line_if_fits("cls");
    if (ImGui::SmallButton("cls")) app.set_attention_query(-1, -1);
  }
  ViewStyle style;
  style.patch_grid = e.show_grid;
  const auto uv = draw_view(app, attention_view(e), style, width, "explorer-attention");
  const bool clicked = ImGui::IsItemClicked();
  const auto pointed = patch_at(uv, att.grid_h, att.grid_w);
  if (ImGui::IsItemHovered() && pointed) {
    // The hovered patch's share, beside what the colours mean.
    const auto [row, col] = *pointed;
    char share[96];
    if (token_of_patch(att, row, col) < 0)
      std::snprintf(share, sizeof share, "patch (%d, %d): removed", row, col);
    else
      std::snprintf(share, sizeof share,
                    "patch (%d, %d): %.1f %% of the attention (largest %.1f %%)", row, col,
                    100 * a.map[row][col].item<float>(), 100 * a.map.max().item<float>());
    ImGui::SetTooltip(
        "%s\nbrighter = more attention (black, red, yellow, white; scaled to the largest);\n"
        "blue-grey patches were removed: the encoder never saw them",
        share);
  }
  // One slider a row, each as wide as the map less its label, so that the group stays as
  // wide as the map.
  const float label_room = ImGui::CalcTextSize("layer").x + ImGui::GetStyle().ItemInnerSpacing.x;
  ImGui::SetNextItemWidth(width - label_room);
  ImGui::SliderInt("layer", &a.layer, 0, layers - 1, "%d", ImGuiSliderFlags_AlwaysClamp);
  ImGui::SetNextItemWidth(width - label_room);
  ImGui::SliderInt("head", &a.head, -1, heads - 1, a.head < 0 ? "mean of heads" : "%d",
                   ImGuiSliderFlags_AlwaysClamp);
  ImGui::EndGroup();
  if (pointed && clicked) {
    const auto [row, col] = *pointed;
    if (token_of_patch(att, row, col) >= 0)
      app.set_attention_query(row, col);
    else
      app.message("that patch was removed: the encoder never saw it, so it attends nowhere");
  }
}

}  // namespace

void draw_explorer_panel(StudioApp& app) {
  auto& s = app.state();
  auto& e = s.explorer;
  if (!begin_panel(app, Panel::Explorer, "Masking explorer")) return;
  ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x * 0.6f);
  const bool entered = ImGui::InputTextWithHint(
      "##image", "path to an image", e.path, sizeof e.path, ImGuiInputTextFlags_EnterReturnsTrue);
  ImGui::SameLine();
  if (ImGui::Button("Open image") || entered) {
    if (e.path[0] != '\0')
      app.open_image(e.path);
    else  // nothing typed: choose one, as the checkpoint's Open does
      app.open_file_browser(BrowseTarget::ExplorerImage);
  }
  ImGui::SameLine();
  if (ImGui::Button("...##image")) {
    app.open_file_browser(BrowseTarget::ExplorerImage);
  }
  ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
  text_wrapped("%s (drop an image on the window to use it)", e.image_label.c_str());
  ImGui::PopStyleColor();
  if (const auto info = app.worker().model_info(); info.loaded && e.image.defined()) {
    // Say when the picture is not what the model takes, and where to see what it gets.
    const auto& c = info.config;
    const int64_t channels = e.image.size(0), h = e.image.size(1), w = e.image.size(2);
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 0.8f, 0.4f, 1.0f));
    if (channels != c.in_chans || h != c.img_h || w != c.img_w)
      text_wrapped(
          "this %lldx%lld image becomes the model's %lldx%lld input (short side "
          "resized, centre cropped%s): 'original' shows what the model gets",
          static_cast<long long>(w), static_cast<long long>(h), static_cast<long long>(c.img_w),
          static_cast<long long>(c.img_h),
          channels == c.in_chans ? ""
          : c.in_chans == 1      ? ", converted to grey"
                                 : ", grey copied to 3 channels");
    ImGui::PopStyleColor();
  }

  MaskSettings mask{e.ratio, e.strategy, e.seed};
  bool mask_changed =
      ImGui::SliderFloat("ratio", &mask.ratio, 0.0f, 0.95f, "%.2f", ImGuiSliderFlags_AlwaysClamp);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip(
        "masking ratio: the fraction of patches removed before the encoder\n"
        "(the paper trains at 0.75); the decoder must fill them in");
  mask_changed |= strategy_combo("strategy", &mask.strategy);
  if (const auto info = app.worker().model_info(); info.loaded) {
    const auto note =
        mask_pattern_note(e.strategy, info.config.grid_h(), info.config.grid_w(), e.ratio);
    if (!note.empty()) {
      ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
      text_wrapped("%s: %s", to_string(e.strategy).c_str(), note.c_str());
      ImGui::PopStyleColor();
    }
  }
  mask_changed |= ImGui::InputInt("seed", &mask.seed);
  if (mask_changed) app.set_mask_settings(mask);
  ImGui::SameLine();
  if (ImGui::Button("Re-roll (R)")) app.reroll_seed();
  ImGui::Checkbox("patch grid", &e.show_grid);
  same_line_if_fits("error heat map", RowItem::Checkbox);
  ImGui::Checkbox("error heat map", &e.show_heat);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip(
        "per-patch squared error of the reconstruction over the image:\n"
        "blue = small, through red, to yellow = large (2.0 and above, in normalised pixels)");
  same_line_if_fits("ratio sweep", RowItem::Checkbox);
  bool sweep = e.sweep;
  if (ImGui::Checkbox("ratio sweep", &sweep)) app.show_ratio_sweep(sweep);
  same_line_if_fits("attention", RowItem::Checkbox);
  bool attention = e.attention.show;
  if (ImGui::Checkbox("attention", &attention)) app.show_attention(attention);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("the encoder's attention over the visible patches, per layer and head");
  same_line_if_fits("follow training", RowItem::Checkbox);
  bool follow = e.follow_training;
  if (ImGui::Checkbox("follow training", &follow)) app.set_follow_training(follow);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("use the trainer's latest weights; off: keep the opened checkpoint");
  if (ImGui::SmallButton("Step-through...")) app.show_step_through(true);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("this image through the pipeline stage by stage, with tensor shapes");
  same_line_if_fits("Compare...");
  if (ImGui::SmallButton("Compare...")) s.compare.show = true;
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("a second checkpoint on the same image and the same mask");
  same_line_if_fits("Export all views");
  if (ImGui::SmallButton("Export all views")) app.export_explorer_views();
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("every view as shown, 8x, into one folder under %s", s.export_dir.c_str());
  if (e.manual) {
    same_line_if_fits("clear hand-made mask");
    if (ImGui::SmallButton("clear hand-made mask"))
      app.set_mask_settings({e.ratio, e.strategy, e.seed});
  }

  if (!e.result) {
    const auto loading = app.worker().loading();
    if (loading)
      text_wrapped("opening %s ... (progress in the Checkpoint panel)", loading->path.c_str());
    else if (!e.failure.empty())
      text_wrapped("could not reconstruct: %s", e.failure.c_str());
    else
      text_wrapped(app.worker().model_info().loaded ? "computing..."
                                                    : "Open a checkpoint to see reconstructions.");
    ImGui::End();
    return;
  }
  const auto& r = e.result->main;
  const auto masked_count = r.mask.defined() ? r.mask.sum().item<float>() : 0.0f;
  // While a newer request is computed, the old pictures stay and say so.
  const bool updating = e.dirty || e.shown_request_id + 1 < e.next_request_id;
  text_wrapped("%s%.0f of %lld patches masked   masked-patch MSE %.4f   %.1f ms%s",
               e.manual ? "hand-made mask: " : "", masked_count,
               static_cast<long long>(r.mask.defined() ? r.mask.numel() : 0), r.masked_mse,
               e.last_timing.total_ms,
               !e.failure.empty() ? "   [not updated: the reconstruction failed, see messages]"
               : updating         ? "   [updating...]"
                                  : "");
  if (ImGui::IsItemHovered()) {
    const auto info = app.worker().model_info();
    const auto& t = e.last_timing;
    ImGui::SetTooltip(
        "mean squared error over the removed patches, in %s%s\n\n%.1f ms from asking to "
        "seeing:\n  %.1f ms waiting for the worker\n  %.1f ms fitting the picture to the "
        "model's %lldx%lld input\n  %.1f ms in the model",
        error_space(info.config).c_str(),
        info.config.norm_pix_loss
            ? ";\nthe pictures de-normalise each removed patch with the mean and spread of its "
              "nearest visible patches, since its own are hidden"
            : "",
        t.total_ms, t.waited_ms, t.fit_ms, static_cast<long long>(info.config.img_w),
        static_cast<long long>(info.config.img_h), t.model_ms);
  }
  ViewStyle grid;
  grid.patch_grid = e.show_grid;
  grid.tint_mask = true;
  ViewStyle recon = grid;
  recon.tint_mask = false;
  recon.heat_map = e.show_heat;
  // The large pictures (masked, reconstruction, and the attention map when shown: then three
  // to the row, its sliders under it) give up height, down to the small ones' size, so that
  // what follows them (measured last frame: the small pictures, the ratio sweep) fits in the
  // panel without scrolling. Widths leave room for the scrollbar whether it is shown or not:
  // else its coming and going changes the small pictures' height, hence the room, hence
  // whether it is needed, and the pictures flicker between two sizes.
  const ImGuiStyle& style = ImGui::GetStyle();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float across =
      avail.x - (ImGui::GetCurrentWindow()->ScrollbarY ? 0.0f : style.ScrollbarSize);
  const bool with_attention = e.attention.show;
  const float large = with_attention ? (across - 2 * style.ItemSpacing.x) / 3.0f
                                     : (across - style.ItemSpacing.x) / 2.0f;
  const float small = (across - 3 * style.ItemSpacing.x) / 4.0f;
  const float aspect = r.masked.empty() ? 1.0f
                                        : static_cast<float>(r.masked.height()) /
                                              static_cast<float>(r.masked.width());
  const float sliders = with_attention ? 2 * ImGui::GetFrameHeightWithSpacing() : 0.0f;
  const float room = avail.y - ImGui::GetTextLineHeightWithSpacing() - style.ItemSpacing.y -
                     sliders - e.below_large_views;
  const float width = std::clamp(room / aspect, std::min(small, large), large);
  ImGui::BeginGroup();
  caption("masked (click or paint patches)", "masked (paint)", width);
  auto uv = draw_view(app, r.masked, grid, width, "explorer-masked");
  const ImVec2 view_min = ImGui::GetItemRectMin(), view_size = ImGui::GetItemRectSize();
  e.masked_view_rect[0] = view_min.x;
  e.masked_view_rect[1] = view_min.y;
  e.masked_view_rect[2] = view_size.x;
  e.masked_view_rect[3] = view_size.y;
  ImGui::EndGroup();
  if (ImGui::IsItemHovered() || ImGui::IsMouseDown(ImGuiMouseButton_Left)) {
    if (uv.x >= 0) handle_painting(app, uv, r.mask);
  }
  ImGui::SameLine();
  ImGui::BeginGroup();
  ImGui::TextUnformatted(e.show_heat ? "reconstruction + error" : "reconstruction");
  const auto recon_uv = draw_view(app, r.reconstruction, recon, width, "explorer-reconstruction");
  const auto& errors = r.reconstruction.error;
  if (const auto at =
          errors.defined() ? patch_at(recon_uv, errors.size(0), errors.size(1)) : std::nullopt) {
    ImGui::SetTooltip("%s", patch_readout(r.reconstruction, at->row, at->col,
                                          error_space(app.worker().model_info().config),
                                          e.show_heat ? recon.error_max : 0.0f)
                                .c_str());
  }
  ImGui::EndGroup();
  if (with_attention) {
    ImGui::SameLine();
    if (e.result->attention)
      draw_attention(app, e, width);
    else
      ImGui::TextDisabled("computing attention...");
  }
  const float below_top = ImGui::GetCursorPosY();
  ImGui::BeginGroup();
  ImGui::TextUnformatted("+ visible");
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip(
        "the reconstruction with the visible patches pasted back; the tinted\n"
        "patches are the ones the model predicted");
  ViewStyle pasted_style;  // tinted where predicted, as in the Live triplets
  pasted_style.tint_mask = true;
  draw_view(app, r.pasted, pasted_style, small, "explorer-pasted");
  ImGui::EndGroup();
  ImGui::SameLine();
  ImGui::BeginGroup();
  ImGui::TextUnformatted("original");
  draw_view(app, r.original, ViewStyle{}, small, "explorer-original");
  ImGui::EndGroup();
  if (!e.result->sweep.empty()) {
    ImGui::Separator();
    text_wrapped(e.extras_stale ? "same image and seed at higher ratios (+ visible)  "
                                  "[updating...]"
                                : "same image and seed at higher ratios (+ visible)");
    for (size_t i = 0; i < e.result->sweep.size(); ++i) {
      const auto& [sweep_ratio, views] = e.result->sweep[i];
      if (i > 0) ImGui::SameLine();
      ImGui::BeginGroup();
      char label[48];
      std::snprintf(label, sizeof label, "%.0f%%  mse %.3f", sweep_ratio * 100, views.masked_mse);
      char brief[32];
      std::snprintf(brief, sizeof brief, "%.0f%% %.3f", sweep_ratio * 100, views.masked_mse);
      caption(label, brief, small);
      draw_view(app, views.pasted, ViewStyle{}, small, "explorer-sweep");
      ImGui::EndGroup();
    }
  }
  e.below_large_views = ImGui::GetCursorPosY() - below_top;
  ImGui::End();
}

}  // namespace mae::studio
