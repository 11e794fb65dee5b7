// Why: what a user meets first and what must never stop the app: opening with a checkpoint or
// an image, files dropped on the window, bad files, and a panel that faults.
#include <doctest/doctest.h>
#include <imgui.h>
#include <imgui_internal.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "data/image_io.h"
#include "io/authors_pth.h"
#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "model/presets.h"
#include "studio_app.h"
#include "studio_harness.h"

using namespace mae;
using namespace mae::studio;
using namespace mae::studio::testing;

TEST_CASE("launch: the window does not wait for the checkpoint, which then loads") {
  HeadlessImGui ui;
  MockRenderer renderer;
  const auto dir = std::filesystem::temp_directory_path() / "mae-studio-test-launch0";
  std::filesystem::create_directories(dir);
  const auto started = std::chrono::steady_clock::now();
  StudioApp early(renderer, options_with(tiny_checkpoint(dir.string())));
  ui.frame(early);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
  REQUIRE(frames_until(ui, early, [&] { return early.state().explorer.result.has_value(); }));
  CHECK_FALSE(early.worker().loading().has_value());
  std::filesystem::remove_all(dir);
}

TEST_CASE("launch: the checkpoint is loaded and its reconstructions are shown") {
  LaunchedApp launched("mae-studio-test-launch");
  auto& [dir, ui, renderer, app] = launched;
  ui.frame(app);
  CHECK(app.worker().model_info().loaded);
  CHECK(app.state().explorer.result.has_value());
  CHECK(renderer.requests > 0);
  CHECK(app.title().find("tiny.safetensors") != std::string::npos);
  if (std::filesystem::exists(fashion_mnist_dir())) {
    REQUIRE(app.state().checkpoint_snapshot);
    CHECK(app.state().checkpoint_snapshot->rows.size() == 6);
  }
}

TEST_CASE("a bad checkpoint or image gives a message and the app goes on") {
  HeadlessImGui ui;
  MockRenderer renderer;
  StudioApp app(renderer, options_with(""));
  const auto bad = (std::filesystem::temp_directory_path() / "mae-studio-bad.safetensors").string();
  { std::ofstream(bad) << "not a checkpoint"; }
  app.open_checkpoint(bad);
  REQUIRE(frames_until(ui, app, [&] { return !app.worker().busy(); }));
  ui.frame(app);
  CHECK(app.state().status.find("cannot open") != std::string::npos);
  CHECK_FALSE(app.worker().model_info().loaded);
  app.open_image("/nonexistent/picture.png");
  CHECK(frames_until(
      ui, app, [&] { return app.state().status.find("cannot open image") != std::string::npos; }));
  std::filesystem::remove(bad);
}

TEST_CASE(
    "a checkpoint short of a tensor leaves the model shown before, which still reconstructs") {
  // Its metadata reads well, so only copying the weights finds the gap: the worker had already
  // put a new model of the file's shape in place of the one shown, under the old model's name.
  LaunchedApp launched("mae-studio-test-short-checkpoint");
  auto& [dir, ui, renderer, app] = launched;
  REQUIRE(app.worker().model_info().loaded);
  const auto shown = app.worker().model_info();
  auto other = make_model(one_block_config("rgb-small"), 0);
  const auto whole = (dir / "whole.safetensors").string();
  save_checkpoint(whole, other, {}, nullptr, 3, 0.25);
  auto content = read_safetensors(whole);
  NamedTensors short_of_one;
  for (const auto& [name, tensor] : content.tensors)
    if (name != "norm.weight") short_of_one.emplace_back(name, tensor);
  const auto short_file = (dir / "short.safetensors").string();
  write_safetensors(short_file, short_of_one, content.metadata);
  app.open_checkpoint(short_file);
  REQUIRE(frames_until(ui, app, [&] { return !app.worker().busy(); }));
  ui.frame(app);
  CHECK(app.state().status.find("norm.weight missing") != std::string::npos);
  const auto after = app.worker().model_info();
  CHECK(after.version == shown.version);
  CHECK(after.config.to_json() == shown.config.to_json());
  const auto before = app.state().explorer.result->id;
  app.set_ratio(0.5f);
  REQUIRE(frames_until(ui, app, [&] {
    const auto& r = app.state().explorer.result;
    return r && r->id != before && r->extras_done;
  }));
  const auto& result = *app.state().explorer.result;
  CHECK(result.error.empty());
  REQUIRE(result.main.mask.defined());
  CHECK(result.main.mask.size(0) == shown.config.grid_h());  // the old model's 7x7 grid
  CHECK(result.main.mask.sum().item<float>() == 25.0f);      // half of 49, rounded as keep_count
}

TEST_CASE("an --image that cannot be opened leaves the default image, with the message why") {
  MockRenderer renderer;
  auto options = options_with("");
  options.image = std::filesystem::temp_directory_path().string();  // a folder
  StudioApp app(renderer, options);
  const auto& e = app.state().explorer;
  CHECK(e.image.defined());  // it was left without any image
  CHECK_FALSE(e.image_label.empty());
  const auto& log = app.state().log;
  CHECK(std::any_of(log.begin(), log.end(), [](const std::string& line) {
    return line.rfind("cannot open image: ", 0) == 0;
  }));
}

TEST_CASE("a misspelt tuning variable is said once at launch, and the checkpoint still opens") {
  // Set before any thread reads it and unset after they end: the app's threads read it too.
  setenv("MAE_CPU_GEMM", "blis", 1);
  {
    LaunchedApp launched("mae-studio-test-tuning-variable");
    auto& [dir, ui, renderer, app] = launched;
    ui.frame(app);
    const auto& log = app.state().log;
    CHECK(std::count(log.begin(), log.end(),
                     "MAE_CPU_GEMM=blis: it is onednn or mkl; ignored: the default is used") == 1);
    CHECK(app.worker().model_info().loaded);
    CHECK(app.state().explorer.result.has_value());
    CHECK(app.state().explorer.failure.empty());
  }
  unsetenv("MAE_CPU_GEMM");
}

TEST_CASE("drag and drop routes images, checkpoints and folders, and views export as PNG") {
  auto dir = std::filesystem::temp_directory_path() / "mae-studio-test-drop";
  std::filesystem::create_directories(dir / "pictures");
  HeadlessImGui ui;
  MockRenderer renderer;
  StudioApp app(renderer, options_with(""));
  const auto checkpoint = tiny_checkpoint(dir.string());
  const auto picture = (dir / "pictures" / "square.png").string();
  mae::save_png(picture, torch::rand({3, 40, 30}));
  app.handle_drop({checkpoint, picture, (dir / "pictures").string()});
  CHECK(std::string(app.state().form.data) == (dir / "pictures").string());
  REQUIRE(frames_until(ui, app, [&] {
    return app.state().explorer.image_label == picture && app.state().explorer.result.has_value();
  }));
  CHECK(app.worker().model_info().source == checkpoint);
  CHECK(app.worker().model_info().format == mae::ModelFormat::MaeStudio);
  // The authors' .pth, in any case, opens as a checkpoint as the file browser would open it.
  auto config = mae::find_preset("fmnist-tiny").model;
  config.depth = config.dec_depth = 1;
  auto model = mae::make_model(config, 1);
  const auto authors = (dir / "AUTHORS.PTH").string();
  mae::write_authors_pth(authors, mae::model_state(model), config);
  app.handle_drop({authors});
  REQUIRE(frames_until(ui, app, [&] { return app.worker().model_info().source == authors; }));
  // Its format keeps no step: the Checkpoint panel says so rather than showing step 0.
  CHECK(app.worker().model_info().format == mae::ModelFormat::AuthorsPth);

  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir);
  ViewStyle shown;
  shown.patch_grid = true;
  app.export_view(app.state().explorer.result->main.reconstruction, shown, "recon", 4);
  std::filesystem::current_path(cwd);
  bool exported = false;
  for (const auto& e : std::filesystem::directory_iterator(dir / "exports"))
    exported = exported || e.path().extension() == ".png";
  CHECK(exported);
  CHECK(app.state().status.find("exported") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a picture is opened off the UI thread, and the one opened last is the one shown") {
  // A 12-MP picture took about 0.2 s to decode to floats on the UI thread, a 100-MP one
  // seconds: the window froze at every Open image, browser pick and drop.
  LaunchedApp launched("mae-studio-test-open-image");
  auto& [dir, ui, renderer, app] = launched;
  auto& e = app.state().explorer;
  const auto large = (dir / "large.png").string(), small = (dir / "small.png").string();
  mae::save_png(large, torch::rand({3, 3000, 4000}));
  mae::save_png(small, torch::rand({3, 30, 40}));
  const auto before = e.image_label;
  app.open_image(large);
  // The frame right after the request is drawn with the picture shown before it.
  ui.frame(app);
  CHECK(e.image_label == before);
  CHECK(app.state().status == "opening image " + large + " ...");
  REQUIRE(frames_until(
      ui, app, [&] { return e.image_label == large; }, 600));
  CHECK(e.image.sizes().equals({3, 3000, 4000}));
  // Two opens at once: the second supersedes the first, which is never shown after it.
  app.open_image(large);
  app.open_image(small);
  REQUIRE(frames_until(
      ui, app, [&] { return e.image_label == small; }, 600));
  for (int i = 0; i < 30; ++i) ui.frame(app);
  CHECK(e.image_label == small);
  CHECK(e.image.sizes().equals({3, 30, 40}));
}

TEST_CASE("a fault in a panel is logged once, counted, and the app goes on drawing") {
  LaunchedApp launched("mae-studio-test-fault");
  auto& [dir, ui, renderer, app] = launched;
  auto& e = app.state().explorer;
  app.show_attention(true);
  REQUIRE(frames_until(ui, app, [&] { return e.result && e.result->attention; }));
  // An attention whose grid is not the picture's: drawing it throws inside the explorer's
  // window, between its Begin and End.
  auto broken = std::make_shared<EncoderAttention>(*e.result->attention);
  broken->mask = torch::zeros({5, 5});
  broken->grid_h = broken->grid_w = 5;
  e.result->attention = broken;
  e.attention.view = {};
  ui.fail_on_fault = false;
  for (int i = 0; i < 3; ++i) ui.frame(app);
  REQUIRE(app.state().internal_errors.size() == 1);
  const std::string fault = app.state().internal_errors[0].text;
  CHECK(fault.find("in the Masking explorer") != std::string::npos);
  CHECK(std::count(app.state().log.begin(), app.state().log.end(), fault) == 1);
  // Coming back every frame, it is counted, and logged again at 10 and 100 frames only.
  for (int i = 3; i < 120; ++i) ui.frame(app);
  CHECK(app.state().internal_errors[0].frames == 120);
  const auto mentions = [&](const std::string& text) {
    return std::count(app.state().log.begin(), app.state().log.end(), text);
  };
  CHECK(mentions(fault) == 1);
  CHECK(mentions(fault + " (in 10 frames so far)") == 1);
  CHECK(mentions(fault + " (in 100 frames so far)") == 1);
  // The frame went on: the panels after the explorer were drawn, and ImGui's stacks are whole.
  CHECK(ImGui::FindWindowByName("Masking explorer") != nullptr);
  CHECK(ImGui::GetCurrentContext()->CurrentWindowStack.Size == 0);
  e.attention.show = false;  // the fault's cause gone, the explorer draws whole again
  app.state().internal_errors.clear();
  ui.fail_on_fault = true;
  ui.frame(app);
  ui.frame(app);
}
