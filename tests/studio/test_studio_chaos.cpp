// Why: each studio test drives one path through the app, and the faults users found were
// where paths cross (a run of another preset reaching the explorer while its attention was
// open). This test crosses them at random: seeded sequences of the actions a user can take,
// many per second, with every frame drawn, until a fault in any part of a frame (which the
// harness turns into a failure) or a wrong state shows up.
#include <doctest/doctest.h>
#include <imgui.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "data/image_io.h"
#include "inference_worker.h"
#include "keys.h"
#include "model/mae_model.h"
#include "model/presets.h"
#include "studio_harness.h"

using namespace mae;
using namespace mae::studio;
using namespace mae::studio::testing;

namespace {

// A one-block model of a preset's shape, with its weights by name.
std::pair<MaeConfig, NamedTensors> small_weights(const std::string& preset, uint64_t seed) {
  const auto config = one_block_config(preset);
  auto model = make_model(config, seed);
  return {config, model_state(model)};
}

// The explorer's state agrees with itself: what a frame draws from it fits together.
void check_explorer_consistent(const StudioApp& app) {
  const auto& e = app.state().explorer;
  if (!e.result) return;
  const auto& main = e.result->main;
  REQUIRE(main.mask.defined());
  if (e.result->attention) CHECK(e.result->attention->mask.sizes() == main.mask.sizes());
  for (const auto& [ratio, views] : e.result->sweep) {
    CHECK(views.original.width() == main.original.width());
    CHECK(views.mask.sizes() == main.mask.sizes());
  }
}

// A fixed sequence in the suite; MAE_CHAOS_SEED tries others when hunting.
unsigned chaos_seed(unsigned suite_seed) {
  const char* text = std::getenv("MAE_CHAOS_SEED");
  return text ? static_cast<unsigned>(std::strtoul(text, nullptr, 10)) : suite_seed;
}

}  // namespace

TEST_CASE("chaos: random user actions across panels and model shapes never fault a frame") {
  require_fashion_mnist();
  LaunchedApp launched("mae-studio-test-chaos");
  auto& [dir, ui, renderer, app] = launched;
  auto& s = app.state();
  s.export_dir = (dir / "exports").string();
  const auto colour_image = (dir / "colour.png").string();
  save_png(colour_image, torch::rand({3, 40, 56}));
  std::filesystem::create_directories(dir / "second");
  const auto second_checkpoint = tiny_checkpoint((dir / "second").string());
  const auto photos = dir / "photos";
  std::filesystem::create_directories(photos);
  for (const char* name : {"a.png", "b.png", "c.png"})
    save_png((photos / name).string(), torch::rand({3, 70, 90}));
  const auto run_folder = (dir / "run").string();
  std::snprintf(s.form.save_path, sizeof s.form.save_path, "%s",
                (dir / "run" / "last.safetensors").c_str());
  s.experiments.steps = 5;
  s.experiments.probe_train = s.experiments.probe_test = 50;
  std::snprintf(s.experiments.out, sizeof s.experiments.out, "%s", (dir / "sweep").c_str());
  std::snprintf(s.experiments.ratios, sizeof s.experiments.ratios, "0.5,0.75");
  s.probe.max_train = s.probe.max_test = 50;
  s.form.batch = 8;
  s.form.steps = 40;

  const unsigned seed = chaos_seed(20261204u);
  CAPTURE(seed);
  std::mt19937 rng(seed);
  const auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  const std::vector<std::pair<const char*, std::function<void()>>> actions = {
      {"ratio, strategy and seed",
       [&] {
         app.set_mask_settings({0.05f + 0.9f * static_cast<float>(pick(19)) / 18.0f,
                                static_cast<MaskStrategy>(pick(3)), pick(5)});
       }},
      {"paint a patch",
       [&] {
         app.begin_paint_stroke();
         app.toggle_patch(pick(9), pick(9));
       }},
      {"undo", [&] { app.undo_mask(); }},
      {"re-roll", [&] { ui.press(app, keys::kR); }},
      {"attention on or off", [&] { app.show_attention(!s.explorer.attention.show); }},
      {"attention from a patch", [&] { app.set_attention_query(pick(9) - 1, pick(9)); }},
      {"attention layer and head",
       [&] {
         s.explorer.attention.layer = pick(3);
         s.explorer.attention.head = pick(4) - 1;
       }},
      {"ratio sweep on or off", [&] { app.show_ratio_sweep(!s.explorer.sweep); }},
      {"heat map on or off", [&] { s.explorer.show_heat = !s.explorer.show_heat; }},
      {"step-through on or off", [&] { app.show_step_through(!s.step_through.show); }},
      {"step-through stage", [&] { app.step_stage(pick(3) - 1); }},
      {"compare window on or off", [&] { s.compare.show = !s.compare.show; }},
      {"compare checkpoint", [&] { app.open_compare_checkpoint(second_checkpoint); }},
      {"open a colour image", [&] { app.open_image(colour_image); }},
      {"open a missing image", [&] { app.open_image((dir / "missing.png").string()); }},
      {"open the other checkpoint", [&] { app.open_checkpoint(second_checkpoint); }},
      {"follow training on or off", [&] { app.set_follow_training(!s.explorer.follow_training); }},
      {"weights of a colour model",
       [&] {
         auto [config, weights] = small_weights("rgb-small", pick(100));
         app.worker().set_weights(config, std::move(weights), "chaos rgb", 1, 0.5);
       }},
      {"weights of a grey model",
       [&] {
         auto [config, weights] = small_weights("fmnist-tiny", pick(100));
         app.worker().set_weights(config, std::move(weights), "chaos grey", 1, 0.5);
       }},
      {"start or stop a run",
       [&] {
         if (app.training_active())
           app.stop_training();
         else
           app.start_training();
       }},
      {"pause or resume", [&] { app.toggle_pause(); }},
      {"continue", [&] { app.continue_training(); }},
      {"save", [&] { app.save_checkpoint(s.form.save_path); }},
      {"another preset",
       [&] {
         app.apply_preset(pick(2) ? "rgb-small" : "fmnist-tiny");
         s.form.batch = 8;
         s.form.steps = 40;
       }},
      {"training data",
       [&] { app.set_training_data(pick(2) ? photos.string() : std::string("fashion-mnist")); }},
      {"watch the run folder", [&] { app.watch_run(run_folder); }},
      {"stop watching", [&] { app.stop_watching(); }},
      {"a sweep, started or cancelled",
       [&] {
         if (s.experiments.running)
           app.cancel_sweep();
         else
           app.start_sweep();
       }},
      {"a probe, started or cancelled",
       [&] {
         if (s.probe.running)
           app.cancel_probe();
         else
           app.start_probe();
       }},
      {"drop a mix of files",
       [&] {
         app.handle_drop(
             {colour_image, second_checkpoint, (dir / "missing.bin").string(), photos.string()});
       }},
      {"export the explorer's views", [&] { app.export_explorer_views(); }},
      {"export the stages", [&] { app.export_step_through(); }},
      {"file browser", [&] { app.open_file_browser(BrowseTarget::ExplorerImage); }},
      {"help", [&] { s.show_help = !s.show_help; }},
      {"reset layout", [&] { app.reset_layout(); }},
      {"snapshot scrubbing", [&] { s.snapshot_index = pick(4) - 1; }},
      {"window size",
       [&] {
         const ImVec2 sizes[] = {{1600, 1000}, {1280, 720}, {1024, 768}, {800, 600}};
         ImGui::GetIO().DisplaySize = sizes[pick(4)];
       }},
  };
  std::vector<int> taken(actions.size(), 0);
  for (int i = 0; i < 400; ++i) {
    const int a = pick(static_cast<int>(actions.size()));
    CAPTURE(i);
    CAPTURE(actions[static_cast<size_t>(a)].first);
    actions[static_cast<size_t>(a)].second();
    ++taken[static_cast<size_t>(a)];
    // Some actions land mid-computation, others after the background work has answered.
    for (int f = 0; f < 1 + pick(3); ++f) {
      std::this_thread::sleep_for(std::chrono::milliseconds(pick(12)));
      ui.frame(app);
    }
    check_explorer_consistent(app);
  }
  // Then everything settles, and the explorer shows the model it has.
  app.stop_training();
  app.stop_watching();
  app.cancel_sweep();
  app.cancel_probe();
  s.show_file_browser = false;
  // The app has also seen the worker's newest weights: a run's last snapshot can hand some
  // over between a frame's look at the worker and the end of that frame, as the run ends.
  const auto seen_newest = [&] {
    return s.explorer.model_version_seen == app.worker().model_info().version;
  };
  const bool settled = frames_until(ui, app, [&] {
    return !app.training_active() && !app.worker().busy() && !s.experiments.running &&
           !s.probe.running && s.explorer.result && !s.explorer.dirty &&
           s.explorer.result->extras_done && seen_newest();
  });
  INFO("training " << app.training_active() << ", worker busy " << app.worker().busy() << ", sweep "
                   << s.experiments.running << ", probe " << s.probe.running << ", result "
                   << s.explorer.result.has_value() << ", extras "
                   << (s.explorer.result && s.explorer.result->extras_done) << ", dirty "
                   << s.explorer.dirty << ", newest weights seen " << seen_newest() << ", status "
                   << s.status);
  REQUIRE(settled);
  check_explorer_consistent(app);
  const auto info = app.worker().model_info();
  CHECK(s.explorer.result->main.mask.size(0) == info.config.grid_h());
  for (size_t a = 0; a < actions.size(); ++a) CHECK_MESSAGE(taken[a] > 0, actions[a].first);
  ImGui::GetIO().DisplaySize = ImVec2(1600, 1000);
}

TEST_CASE("chaos: random clicks, drags, keys and typing on the window never fault a frame") {
  // The first test calls the app's actions; users reach them through ImGui, which has paths
  // of its own: a slider turned into a text field by Ctrl+click or Tab took "-5" and ended
  // the app. Here the mouse and keyboard go anywhere on the window, typing anything short.
  // Seed 4, the suite's, ended in that crash before the fix (the only one of seeds 1 to 8).
  require_fashion_mnist();
  LaunchedApp launched("mae-studio-test-chaos-input");
  auto& [dir, ui, renderer, app] = launched;
  auto& s = app.state();
  s.export_dir = (dir / "exports").string();
  small_runs_saved_to(app, dir / "run" / "last.safetensors");
  std::snprintf(s.experiments.out, sizeof s.experiments.out, "%s", (dir / "sweep").c_str());
  s.form.steps = 60;
  const unsigned seed = chaos_seed(4u);
  CAPTURE(seed);
  std::mt19937 rng(seed);
  const auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  ImGuiIO& io = ImGui::GetIO();
  const auto anywhere = [&] {
    return ImVec2(static_cast<float>(pick(static_cast<int>(io.DisplaySize.x))),
                  static_cast<float>(pick(static_cast<int>(io.DisplaySize.y))));
  };
  // Short texts only: a long number typed into the batch could ask for more memory than the
  // machine has, and a path typed into the data field could send training through the disk.
  const char* texts[] = {"-5", "7", "0", "nan", "abc", "0.3", "1e-3", " "};
  const int keys_pressed[] = {keys::kTab,        keys::kEnter,   keys::kEscape,    keys::kLeftArrow,
                              keys::kRightArrow, keys::kUpArrow, keys::kDownArrow, keys::kBackspace,
                              keys::kSpace,      keys::kR,       keys::kZ,         keys::kA,
                              keys::kF1};
  int typed = 0, clicked = 0;
  for (int i = 0; i < 1500; ++i) {
    CAPTURE(i);
    s.show_file_browser = false;  // its folders lead anywhere on the disk
    // A run now and then, since a random click rarely finds Start: the snapshot slider, the
    // Pause and Stop buttons and the progress exist only with one.
    if (i % 250 == 0 && !app.training_active()) app.start_training();
    const int kind = pick(20);
    if (kind < 8) {  // a click, sometimes with Ctrl (a slider becomes a text field)
      io.KeyCtrl = pick(4) == 0;
      ui.click(app, anywhere());
      io.KeyCtrl = false;
      ++clicked;
    } else if (kind < 9) {  // a double click
      const ImVec2 at = anywhere();
      ui.click(app, at);
      ui.click(app, at);
    } else if (kind < 10) {  // a right click: the export menus
      ui.click(app, anywhere(), 1);
    } else if (kind < 13) {  // a drag: sliders, panel edges, painting
      io.MousePos = anywhere();
      ui.frame(app);
      io.MouseDown[0] = true;
      for (int f = 0; f < 3; ++f) {
        ui.frame(app);
        io.MousePos = anywhere();
      }
      ui.frame(app);
      io.MouseDown[0] = false;
    } else if (kind < 16) {  // a key, sometimes with Ctrl
      io.KeyCtrl = pick(5) == 0;
      io.KeysDown[keys_pressed[pick(std::size(keys_pressed))]] = true;
      ui.frame(app);
      io.KeyCtrl = false;
    } else if (kind < 18) {  // typing into whatever has the keyboard
      io.AddInputCharactersUTF8(texts[pick(std::size(texts))]);
      ++typed;
    } else if (kind < 19) {  // the wheel
      io.MousePos = anywhere();
      io.MouseWheel = static_cast<float>(pick(7) - 3);
    } else {  // the window resized
      const ImVec2 sizes[] = {{1600, 1000}, {1280, 720}, {1024, 768}, {640, 480}, {200, 150}};
      io.DisplaySize = sizes[pick(5)];
    }
    for (int f = 0; f < 1 + pick(2); ++f) {
      std::this_thread::sleep_for(std::chrono::milliseconds(pick(6)));
      ui.frame(app);
    }
  }
  CHECK(typed > 100);
  CHECK(clicked > 400);
  // Whatever was started ends; the frames meanwhile must not fault either.
  app.stop_training();
  app.stop_watching();
  app.cancel_sweep();
  app.cancel_probe();
  CHECK(frames_until(
      ui, app, [&] { return !app.training_active() && !s.experiments.running && !s.probe.running; },
      60));
  io.DisplaySize = ImVec2(1600, 1000);
}
