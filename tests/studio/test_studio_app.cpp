// Why: the app's logic without a window: a headless ImGui context (font atlas built,
// display size set) runs real frames of StudioApp with a mock renderer, and the tests
// assert on the state that users would see.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
#include <imgui.h>
#include <imgui_internal.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "analysis_jobs.h"
#include "data/dataset.h"
#include "data/image_io.h"
#include "folder_listing.h"
#include "frame_stats.h"
#include "inference_worker.h"
#include "io/authors_pth.h"
#include "io/checkpoint.h"
#include "io/model_files.h"
#include "keys.h"
#include "model/presets.h"
#include "panels.h"
#include "patch_readout.h"
#include "recipe/recipe.h"
#include "studio_app.h"
#include "studio_harness.h"
#include "train/device.h"
#include "train/memory_estimate.h"
#include "util/intra_op_threads.h"
#include "view_compose.h"

using namespace mae;
using namespace mae::studio;

using namespace mae::studio::testing;

TEST_CASE("a loss is shown only where a step measured one") {
  CHECK(loss_text(0, 0.0) == "loss n/a");  // a first snapshot, the authors' weights
  CHECK(loss_text(12, std::nan("")) == "loss n/a");
  CHECK(loss_text(12, 0.123456) == "loss 0.1235");
}

TEST_CASE("weights handed over before their step's loss arrives take it when it does") {
  // As on a GPU, where a step's loss comes back while the next step runs.
  const auto config = one_block_config("fmnist-tiny");
  auto model = make_model(config, 0);
  InferenceWorker worker;
  worker.set_weights(config, model_state(model), "training step 5", 5, std::nan(""));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!worker.model_info().loaded && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  REQUIRE(worker.model_info().loaded);
  CHECK(loss_text(5, worker.model_info().loss) == "loss n/a");  // not step 4's
  worker.settle_loss(4, 0.9);                                   // another step's: ignored
  CHECK(std::isnan(worker.model_info().loss));
  worker.settle_loss(5, 0.25);
  CHECK(worker.model_info().loss == 0.25);
  worker.settle_loss(5, 0.5);  // settled once
  CHECK(worker.model_info().loss == 0.25);
}

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

TEST_CASE("a colour model without its data gets no grayscale gallery in the triplets") {
  HeadlessImGui ui;
  MockRenderer renderer;
  const auto dir = std::filesystem::temp_directory_path() / "mae-studio-test-rgb";
  std::filesystem::create_directories(dir);
  const auto config = one_block_config("rgb-small");
  auto model = make_model(config, 0);
  save_checkpoint((dir / "rgb.safetensors").string(), model, {}, nullptr, 1, 1.0);
  StudioApp app(renderer, options_with((dir / "rgb.safetensors").string()));
  REQUIRE(frames_until(ui, app, [&] { return app.state().checkpoint_snapshot != nullptr; }));
  CHECK(app.state().checkpoint_snapshot->rows.empty());
  ui.frame(app);
  std::filesystem::remove_all(dir);
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
  CHECK(app.state().status.find("cannot open image") != std::string::npos);
  ui.frame(app);
  std::filesystem::remove(bad);
}

TEST_CASE("training from the UI: start, live snapshots and curves, pause with Space, stop") {
  TrainingApp training;
  auto& [ui, renderer, app] = training;
  auto& s = app.state();
  s.form.batch = 32;
  s.form.steps = 1000;
  app.start_training();
  REQUIRE(
      frames_until(ui, app, [&] { return s.curves.steps.size() >= 3 && !s.snapshots.empty(); }));
  CHECK(s.snapshots.back()->rows.size() == 6);
  // The smoothed loss is bias-corrected: it starts at the first loss and stays a weighted
  // average of the losses so far.
  CHECK(s.curves.smoothed.front() == doctest::Approx(s.curves.loss.front()));
  for (size_t i = 0; i < s.curves.smoothed.size(); ++i) {
    const auto first = s.curves.loss.begin(), last = first + static_cast<std::ptrdiff_t>(i) + 1;
    CHECK(s.curves.smoothed[i] <= *std::max_element(first, last) + 1e-9);
    CHECK(s.curves.smoothed[i] >= *std::min_element(first, last) - 1e-9);
  }
  CHECK(app.run_state() == SessionState::Running);
  // The inference worker receives the trainer's weights with the snapshots.
  REQUIRE(frames_until(ui, app, [&] { return app.worker().model_info().loaded; }));
  CHECK(app.worker().model_info().source.find("training step") != std::string::npos);

  ui.press(app, keys::kSpace);
  REQUIRE(frames_until(ui, app, [&] { return app.run_state() == SessionState::Paused; }));
  ui.frame(app);  // drains the metrics of the step that ended as the pause took effect
  const auto step = s.last_metrics.step;
  for (int i = 0; i < 10; ++i) ui.frame(app);
  CHECK(s.last_metrics.step == step);
  CHECK_FALSE(app.request_close());  // training is active: a dialog asks first
  ui.press(app, keys::kSpace);
  REQUIRE(frames_until(ui, app, [&] { return app.run_state() == SessionState::Running; }));
  app.stop_training();
  REQUIRE(frames_until(ui, app, [&] { return app.run_state() == SessionState::Stopped; }));
  // Stopped with unsaved steps: closing asks first; after a save it does not.
  CHECK(app.unsaved_steps() > 0);
  CHECK_FALSE(app.request_close());
  const auto saved = std::filesystem::temp_directory_path() / "mae-studio-test-stopped.safetensors";
  std::snprintf(s.form.save_path, sizeof s.form.save_path, "%s", saved.c_str());
  app.save_checkpoint(app.default_save_path());
  REQUIRE(frames_until(ui, app, [&] { return app.unsaved_steps() == 0; }));
  CHECK(std::filesystem::exists(saved));
  CHECK(app.request_close());
  std::filesystem::remove(saved);
}

namespace {
struct SliderFigures {
  std::vector<double> frame_ms, latency_ms;
  int answered = 0;
};

// Moves the ratio slider `moves` times, each time running frames until the reconstruction
// for that position is shown (as a user dragging slowly would see it).
void drag_slider(HeadlessImGui& ui, StudioApp& app, int moves, SliderFigures& f) {
  auto& e = app.state().explorer;
  for (int i = 0; i < moves; ++i) {
    app.set_ratio(0.5f + 0.01f * static_cast<float>(i % 40));
    const auto id = e.next_request_id;
    const bool shown = frames_until(ui, app, [&] {
      const auto start = std::chrono::steady_clock::now();
      ui.frame(app);
      f.frame_ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count());
      // Or a later request's: weights a snapshot hands over mid-move bring a new request.
      return e.shown_request_id >= id;
    });
    if (!shown) continue;
    ++f.answered;
    f.latency_ms.push_back(e.last_latency_ms);
  }
}

SliderFigures drag_slider(HeadlessImGui& ui, StudioApp& app, int moves) {
  SliderFigures f;
  drag_slider(ui, app, moves, f);
  return f;
}
}  // namespace

// Figures, not a timed test: gpu_check.sh reads the MESSAGE on a GPU, where the trainer and
// the inference worker share the device on streams of their own.
TEST_CASE(
    "while a run trains, the explorer answers every slider move, with frame and slider times") {
  TrainingApp training;
  auto& [ui, renderer, app] = training;
  auto& s = app.state();
  const bool gpu = s.form.device == ComputeDevice::Cuda;
  s.form.batch = gpu ? 256 : 32;
  s.form.steps = 1000000;
  constexpr int kMoves = 30;
  REQUIRE(frames_until(ui, app,
                       [&] { return app.worker().model_info().loaded || !app.worker().busy(); }));
  app.start_training();
  REQUIRE(frames_until(ui, app, [&] {
    return s.last_metrics.step >= 3 && app.worker().model_info().loaded &&
           app.worker().model_info().source.find("training step") != std::string::npos;
  }));
  // The slider moves until the trainer has finished steps meanwhile: on two cores the
  // explorer's work (each move brings a reconstruction and its ratio sweep) slows training
  // several times over, and a fixed number of moves may outlast no step.
  const auto step_before = s.last_metrics.step;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  SliderFigures busy;
  int moves = 0;
  while (s.last_metrics.step < step_before + 2 && std::chrono::steady_clock::now() < give_up) {
    drag_slider(ui, app, kMoves, busy);
    moves += kMoves;
  }
  const auto steps_during = s.last_metrics.step - step_before;
  app.stop_training();
  REQUIRE(frames_until(ui, app, [&] { return app.run_state() == SessionState::Stopped; }));
  const auto idle = drag_slider(ui, app, kMoves);
  CHECK(busy.answered == moves);
  CHECK(idle.answered == kMoves);
  CHECK(steps_during >= 2);  // training went on while the slider was answered
  // Each snapshot shows its own step's loss, on a GPU too, where it was taken before that
  // loss came back.
  int labelled = 0;
  for (const auto& snapshot : s.snapshots) {
    const auto& c = s.curves;
    const auto at = std::find(c.steps.begin(), c.steps.end(), static_cast<double>(snapshot->step));
    if (snapshot->step == 0 || at == c.steps.end()) continue;
    CHECK(snapshot->loss == c.loss[static_cast<size_t>(at - c.steps.begin())]);
    ++labelled;
  }
  CHECK(labelled > 0);
  MESSAGE("studio on " << app.worker().model_info().device << " ("
                       << describe_device(gpu ? "cuda" : "cpu") << "), " << s.form.preset
                       << " batch " << s.form.batch << ": slider to reconstruction median "
                       << percentile(busy.latency_ms, 50) << " ms, p90 "
                       << percentile(busy.latency_ms, 90) << " ms while training (" << steps_during
                       << " steps in " << moves << " moves), median "
                       << percentile(idle.latency_ms, 50) << " ms idle; UI frame p50/p99 "
                       << percentile(busy.frame_ms, 50) << "/" << percentile(busy.frame_ms, 99)
                       << " ms while training, " << percentile(idle.frame_ms, 50) << "/"
                       << percentile(idle.frame_ms, 99) << " ms idle (headless: UI logic, no GL)");
}

TEST_CASE("the form's bf16 switch reaches the run's recipe, on the CPU too") {
  TrainingApp training;
  auto& [ui, renderer, app] = training;
  auto& s = app.state();
  s.form.device = ComputeDevice::Cpu;
  s.form.bf16 = true;
  s.form.batch = 8;
  s.form.steps = 2;
  app.start_training();
  REQUIRE(frames_until(ui, app, [&] { return app.run_state() == SessionState::Finished; }));
  const auto saved = std::filesystem::temp_directory_path() / "mae-studio-test-bf16.safetensors";
  app.save_checkpoint(saved.string());
  REQUIRE(frames_until(ui, app, [&] { return app.unsaved_steps() == 0; }));
  const auto info = read_checkpoint_info(saved.string());
  std::filesystem::remove(saved);
  REQUIRE(info.train.has_value());
  CHECK(info.train->cpu_bf16);
  CHECK(info.train->device == "cpu");
}

TEST_CASE("Stop while a run is still preparing stops it, and Start works again") {
  // The preparing thread returned without a word when stopped: the session read as
  // preparing for ever, and Start did nothing until the app was restarted.
  TrainingApp training;
  auto& [ui, renderer, app] = training;
  app.state().form.batch = 8;
  app.set_training_steps(200);
  for (int attempt = 0; attempt < 3; ++attempt) {
    app.start_training();
    CHECK(app.run_state() == SessionState::Preparing);
    app.stop_training();
    REQUIRE(frames_until(
        ui, app, [&] { return !app.training_active(); }, 30));
    CHECK(app.run_state() == SessionState::Stopped);
  }
  app.start_training();
  REQUIRE(frames_until(ui, app, [&] { return app.run_state() == SessionState::Running; }));
  app.stop_training();
  REQUIRE(frames_until(ui, app, [&] { return !app.training_active(); }));
}

TEST_CASE("a signal right after the first steps saves them, before the UI has seen a step") {
  // The unsaved count read the UI's last metrics, which arrive a step late and only when a
  // frame polls them: Ctrl+C in a run's first moments quit without saving its steps.
  const auto saved = std::filesystem::temp_directory_path() / "mae-studio-test-early-signal";
  std::filesystem::remove_all(saved);
  {
    TrainingApp training;
    auto& app = training.app;
    auto& form = app.state().form;
    form.batch = 8;
    std::snprintf(form.save_path, sizeof form.save_path, "%s",
                  (saved / "last.safetensors").c_str());
    app.set_training_steps(200);
    app.start_training();
    for (int i = 0; i < 6000 && app.unsaved_steps() == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    REQUIRE(app.unsaved_steps() > 0);
    CHECK_FALSE(app.state().have_metrics);  // no frame has run: the UI has seen no step
    CHECK(app.quit_saving_work() == (saved / "last.safetensors").string());
  }  // the save is written as the app closes
  const auto info = read_checkpoint_info((saved / "last.safetensors").string());
  std::filesystem::remove_all(saved);
  CHECK(info.step > 0);
}

TEST_CASE("a finished run asks on close until it is saved") {
  TrainingApp training;
  auto& [ui, renderer, app] = training;
  auto& s = app.state();
  s.form.batch = 8;
  app.set_training_steps(3);
  app.start_training();
  REQUIRE(frames_until(ui, app, [&] { return app.run_state() == SessionState::Finished; }));
  ui.frame(app);
  CHECK(app.unsaved_steps() == 3);
  CHECK_FALSE(app.request_close());
  ui.frame(app);
  CHECK(ImGui::GetCurrentContext()->OpenPopupStack.Size == 1);  // the close dialog
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
  CHECK(app.state().explorer.image_label == picture);
  CHECK(std::string(app.state().form.data) == (dir / "pictures").string());
  REQUIRE(frames_until(ui, app, [&] { return app.state().explorer.result.has_value(); }));
  CHECK(app.worker().model_info().source == checkpoint);
  CHECK(app.worker().model_info().format == "mae-studio");
  // The authors' .pth, in any case, opens as a checkpoint as the file browser would open it.
  auto config = mae::find_preset("fmnist-tiny").model;
  config.depth = config.dec_depth = 1;
  auto model = mae::make_model(config, 1);
  const auto authors = (dir / "AUTHORS.PTH").string();
  mae::write_authors_pth(authors, mae::model_state(model), config);
  app.handle_drop({authors});
  REQUIRE(frames_until(ui, app, [&] { return app.worker().model_info().source == authors; }));
  // Its format keeps no step: the Checkpoint panel says so rather than showing step 0.
  CHECK(app.worker().model_info().format == "authors-pth");

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

TEST_CASE("the Training form takes each preset's whole recipe, from the combo and --preset") {
  LaunchedApp launched("mae-studio-test-recipe");
  auto& [dir, ui, renderer, app] = launched;
  const auto& presets = all_presets();
  for (size_t i = 0; i < presets.size(); ++i) {
    app.apply_preset(presets[i].name);
    const Recipe r = preset_recipe(presets[i].name);
    const auto& f = app.state().form;
    CHECK(f.preset == presets[i].name);
    // A recipe too large for this machine at once is split into micro-batches of the same
    // step (ViT-B/16's 4096 images here); one that fits is taken as it is.
    CHECK(f.batch * f.accum_steps == r.train.batch * r.train.accum_steps);
    const bool fits_whole =
        training_memory_problem(r.model, r.train, memory_available("cpu")).empty();
    if (fits_whole) CHECK(f.batch == r.train.batch);
    if (!fits_whole) CHECK(f.batch <= r.train.batch);
    CHECK(f.base_lr == doctest::Approx(r.train.base_lr));
    CHECK(f.steps == r.train.total_steps);
    CHECK(f.warmup_steps == r.train.warmup_steps);
    CHECK(f.crop_min == doctest::Approx(r.train.crop_scale_min));
    CHECK(f.mask_ratio == doctest::Approx(r.train.mask_ratio));
    CHECK(f.norm_pix == r.model.norm_pix_loss);
  }
  auto options = options_with("");
  options.preset = "rgb-small";
  StudioApp from_flag(renderer, options);
  CHECK(from_flag.state().form.batch == 64);
  CHECK(from_flag.state().form.base_lr == doctest::Approx(1.5e-3));
  CHECK(from_flag.state().form.steps == 2000);
}

TEST_CASE("a batch the machine cannot hold is refused at Start, and the form says so first") {
  // The out-of-memory killer would end the app: ViT-B/16's recipe batch on one machine was
  // enough to do it.
  LaunchedApp launched("mae-studio-test-memory");
  auto& [dir, ui, renderer, app] = launched;
  auto& s = app.state();
  s.form.device = ComputeDevice::Cpu;
  s.form.bf16 = false;
  CHECK(app.training_memory_note().fits);  // fmnist-tiny at batch 128
  CHECK(app.training_memory_note().text.find("needs about ") == 0);
  app.apply_preset("vit-h14");
  s.form.batch = 1 << 16;
  s.form.accum_steps = 1;
  const auto note = app.training_memory_note();
  CHECK_FALSE(note.fits);
  CHECK(note.text.find(" free on cpu") != std::string::npos);
  ui.frame(app);  // the form draws the warning
  app.start_training();
  CHECK_FALSE(app.training_active());
  CHECK(s.status.find("cannot start training: training vit-h14 at batch 65536 needs about") == 0);
  // With a batch that fits and accumulation for the images per step, the run is accepted.
  app.apply_preset("fmnist-tiny");
  s.form.batch = 16;
  s.form.accum_steps = 4;
  s.form.steps = 2;
  app.start_training();
  REQUIRE(frames_until(
      ui, app, [&] { return s.have_metrics; }, 120));
  CHECK(s.last_metrics.step >= 1);
  app.stop_training();
  REQUIRE(frames_until(ui, app, [&] { return !app.training_active(); }));
}

TEST_CASE("training on a photo folder shows the data stage, never 0 img/s with an ETA") {
  LaunchedApp launched("mae-studio-test-photos");
  auto& [dir, ui, renderer, app] = launched;
  const auto photos = dir / "photos";
  std::filesystem::create_directories(photos);
  for (int i = 0; i < 12; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "p%02d.png", i);
    // The first is larger than rgb-small's training decodes keep (shorter side 192 px).
    save_png((photos / name).string(), torch::rand({3, i == 0 ? 400 : 90, i == 0 ? 600 : 120}));
  }
  setenv("MAE_CACHE_DIR", (dir / "cache").c_str(), 1);
  app.apply_preset("rgb-small");
  app.set_training_data(photos.string());
  app.state().form.batch = 4;
  app.state().form.steps = 3;
  app.start_training();
  CHECK_FALSE(app.state().have_metrics);
  REQUIRE(frames_until(
      ui, app, [&] { return app.state().data_stage.find("data ready") != std::string::npos; }, 60));
  CHECK(app.state().data_stage.find("12 images") != std::string::npos);
  REQUIRE(frames_until(
      ui, app, [&] { return app.state().have_metrics; }, 120));
  CHECK(app.state().mean_step_ms > 0);
  // The explorer leaves the built-in Fashion-MNIST image for the run's first photo.
  const auto& explorer = app.state().explorer;
  CHECK(explorer.image_source == ExplorerImageSource::TrainingData);
  // It is shown as training decodes it, and its label says so beside the file's name.
  CHECK(explorer.image_label == (photos / "p00.png").string() +
                                    ", a training picture as training decodes it (shorter "
                                    "side at most 192 px)");
  CHECK(explorer.image.sizes().equals({3, 192, 288}));
  app.stop_training();
  frames_until(
      ui, app, [&] { return !app.training_active(); }, 60);
  // An image the user opened stays through the next run.
  const auto chosen = (photos / "p05.png").string();
  app.open_image(chosen);
  app.start_training();
  REQUIRE(frames_until(
      ui, app, [&] { return app.state().have_metrics; }, 120));
  CHECK(explorer.image_source == ExplorerImageSource::UserFile);
  CHECK(explorer.image_label == chosen);
  app.stop_training();
  frames_until(
      ui, app, [&] { return !app.training_active(); }, 60);
  unsetenv("MAE_CACHE_DIR");
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
  // A new explorer mask is followed by B.
  app.set_ratio(0.5f);
  REQUIRE(frames_until(ui, app, [&] {
    return s.compare.result && s.explorer.result &&
           s.explorer.result->main.mask.sum().item<float>() == 49 - keep_count(49, 0.5) &&
           torch::equal(s.compare.result->main.mask, s.explorer.result->main.mask);
  }));
}

TEST_CASE("probe and experiments run in the background and report into their windows") {
  require_fashion_mnist();
  LaunchedApp launched("mae-studio-test-probe");
  auto& [dir, ui, renderer, app] = launched;
  auto& s = app.state();
  s.probe.show = true;
  std::snprintf(s.probe.checkpoint, sizeof s.probe.checkpoint, "%s",
                (dir / "tiny.safetensors").c_str());
  s.probe.max_train = 300;
  s.probe.max_test = 100;
  app.start_probe();
  CHECK(s.probe.running);
  REQUIRE(frames_until(
      ui, app, [&] { return s.probe.report.has_value(); }, 120));
  CHECK(s.probe.report->test_items == 100);
  CHECK(s.probe.report->pixels.linear_accuracy > 0.3);  // ten classes: chance is 0.1
  CHECK(!s.probe.confusion.empty());

  setenv("MAE_CACHE_DIR", (dir / "cache").c_str(), 1);
  auto& x = s.experiments;
  x.show = true;
  std::snprintf(x.ratios, sizeof x.ratios, "0.5,0.75");
  x.steps = 3;
  x.probe_train = 200;
  x.probe_test = 100;
  std::snprintf(x.out, sizeof x.out, "%s", (dir / "sweep").c_str());
  app.start_sweep();
  REQUIRE(frames_until(
      ui, app, [&] { return x.report.has_value() && !x.running; }, 300));
  CHECK(x.report->runs.size() == 2);
  CHECK(std::filesystem::exists(dir / "sweep" / "sweep.png"));
  CHECK(x.progress.parts == std::vector<double>{1.0, 1.0});
  // Opening the window again (as after a restart) shows the saved results.
  x.report.reset();
  x.show = false;
  x.steps = 999;
  app.show_experiments();
  REQUIRE(x.report.has_value());
  CHECK(x.report->runs.size() == 2);
  CHECK(x.steps == 3);  // the fields show what produced the results
  CHECK(std::string(x.ratios) == "0.5,0.75");
}

TEST_CASE("a background job takes up its share of the cores at its next report") {
  std::atomic<int> threads{0};
  BackgroundJob<int> job(
      [&](const BackgroundJob<int>::ProgressFn& progress, std::stop_token stop) {
        while (!stop.stop_requested()) {
          progress({});
          threads = at::get_num_threads();  // what the job's ATen ops would use now
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        return 0;
      },
      "");
  const auto reaches = [&](int wanted) {
    for (int i = 0; i < 1000 && threads != wanted; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return threads == wanted;
  };
  const int all = mae::default_intra_op_threads();
  CHECK(reaches(all));
  job.share_cores(1);
  CHECK(reaches(1));
  job.share_cores(0);
  CHECK(reaches(all));
  job.cancel();
}

TEST_CASE("a probe beside a CPU training run splits the cores with it, and says so") {
  // Two OpenMP teams as wide as the machine slow each other several times over.
  LaunchedApp launched("mae-studio-test-cpu-share");
  auto& [dir, ui, renderer, app] = launched;
  auto& s = app.state();
  s.form.device = ComputeDevice::Cpu;
  s.form.batch = 8;
  app.set_training_steps(100000);
  app.start_training();
  REQUIRE(frames_until(ui, app, [&] { return app.run_state() == SessionState::Running; }));
  CHECK(s.cpu_share.each == 0);  // training alone uses every core
  s.probe.show = true;
  std::snprintf(s.probe.checkpoint, sizeof s.probe.checkpoint, "%s",
                (dir / "tiny.safetensors").c_str());
  s.probe.max_train = 60000;
  app.start_probe();
  ui.frame(app);
  const int all = mae::default_intra_op_threads();
  CHECK(s.cpu_share.each == std::max(1, all / 2));
  CHECK(s.cpu_share.of == all);
  CHECK(s.cpu_share.sharers == "training and the probe");
  app.cancel_probe();
  REQUIRE(frames_until(ui, app, [&] { return !s.probe.running; }));
  CHECK(s.cpu_share.each == 0);
  app.stop_training();
  REQUIRE(frames_until(ui, app, [&] { return !app.training_active(); }));
}

TEST_CASE("a probe with no checkpoint named measures the model on screen") {
  require_fashion_mnist();
  LaunchedApp launched("mae-studio-test-probe-on-screen");
  auto& [dir, ui, renderer, app] = launched;
  auto& s = app.state();
  const auto opened = (dir / "tiny.safetensors").string();
  CHECK(app.model_on_screen() == opened);
  s.form.device = ComputeDevice::Cpu;
  s.form.batch = 8;
  app.set_training_steps(100000);
  app.start_training();
  // Once the explorer shows training's weights, an empty field means them.
  REQUIRE(frames_until(
      ui, app, [&] { return app.worker().model_info().source.rfind("training step", 0) == 0; }));
  CHECK(app.model_on_screen().rfind("training step ", 0) == 0);
  s.probe.show = true;
  s.probe.max_train = 300;
  s.probe.max_test = 100;
  app.start_probe();
  REQUIRE(s.probe.running);
  CHECK(s.probe.probing.rfind("training step ", 0) == 0);
  CHECK(s.probe.checkpoint[0] == '\0');  // still empty: the next probe takes newer weights
  REQUIRE(frames_until(
      ui, app, [&] { return s.probe.report.has_value(); }, 300));
  CHECK(s.probe.report_of == s.probe.probing);
  CHECK(s.probe.report->test_items == 100);
  app.stop_training();
  REQUIRE(frames_until(ui, app, [&] { return !app.training_active(); }));
  // Not following training, the explorer goes back to the opened checkpoint, and so does
  // the probe.
  app.set_follow_training(false);
  REQUIRE(frames_until(ui, app, [&] { return app.worker().model_info().source == opened; }));
  CHECK(app.model_on_screen() == opened);
  app.start_probe();
  CHECK(s.probe.probing == opened);
  app.cancel_probe();
  REQUIRE(frames_until(ui, app, [&] { return !s.probe.running; }));
}

TEST_CASE("a probe of published weights measures what a probe of the same file does") {
  require_fashion_mnist();
  LaunchedApp launched("mae-studio-test-probe-published");
  const auto path = (launched.dir / "tiny.safetensors").string();
  const auto file = read_model_file(path);
  auto weights = std::make_shared<PublishedWeights>();
  weights->config = file.config;
  weights->weights = file.tensors;
  weights->source = "training step 7";
  ProbeRunOptions o;
  o.max_train = 300;
  o.max_test = 100;
  const auto finish = [](ProbeJob& job) {
    for (int i = 0; i < 6000 && job.active(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (const auto error = job.take_error()) FAIL(*error);
    auto report = job.take_report();
    REQUIRE(report.has_value());
    return *report;
  };
  auto from_file = start_probe_job(path, "fashion-mnist", o);
  const auto a = finish(*from_file);
  auto from_weights = start_probe_job(weights, "fashion-mnist", o);
  const auto b = finish(*from_weights);
  CHECK(a.encoder.linear_accuracy == b.encoder.linear_accuracy);
  CHECK(a.encoder.knn_accuracy == b.encoder.knn_accuracy);
  CHECK(a.test_items == b.test_items);
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

namespace {
// True when every main panel lies inside the window above the status bar.
bool panels_fit(ImVec2 display) {
  for (const char* name :
       {"Training", "Checkpoint", "Live triplets", "Curves", "Masking explorer"}) {
    const ImGuiWindow* w = ImGui::FindWindowByName(name);
    if (!w) return false;
    if (w->Pos.x < -1 || w->Pos.y < -1 || w->Pos.x + w->Size.x > display.x + 1 ||
        w->Pos.y + w->Size.y > display.y - ImGui::GetFrameHeight() - 8 + 1) {
      MESSAGE(name << " at " << w->Pos.x << "," << w->Pos.y << " size " << w->Size.x << "x"
                   << w->Size.y << " does not fit " << display.x << "x" << display.y);
      return false;
    }
  }
  return true;
}
}  // namespace

TEST_CASE("layout: panels fit at 1280x720, follow a smaller window, and reset on request") {
  LaunchedApp launched("mae-studio-test-layout");
  auto& [dir, ui, renderer, app] = launched;
  CHECK(panels_fit(ImVec2(1600, 1000)));
  // A user's arrangement that fits is kept.
  ImGui::SetWindowPos("Curves", ImVec2(400, 300));
  ui.frame(app);
  CHECK(ImGui::FindWindowByName("Curves")->Pos.x == 400);
  // The window shrinks to 1280x720: whatever no longer fits is laid out again.
  ImGui::GetIO().DisplaySize = ImVec2(1280, 720);
  ui.frame(app);
  ui.frame(app);
  CHECK(panels_fit(ImVec2(1280, 720)));
  // Reset layout puts every panel back, the moved one included, and opens a collapsed one.
  // Clicked, as a user does: the button draws after the panels, and its first version
  // reset nothing, because the request was cleared before the next frame's panels saw it.
  ImGui::SetWindowPos("Training", ImVec2(100, 50));
  ImGui::SetWindowCollapsed("Live triplets", true);
  ui.frame(app);
  const ImGuiWindow* status = ImGui::FindWindowByName("##status");
  REQUIRE(status != nullptr);
  ui.click(app, ImVec2(status->Pos.x + status->Size.x - 40, status->Pos.y + status->Size.y / 2));
  ui.frame(app);
  CHECK(ImGui::FindWindowByName("Training")->Pos.x == 0);
  CHECK_FALSE(ImGui::FindWindowByName("Live triplets")->Collapsed);
  CHECK(panels_fit(ImVec2(1280, 720)));
  ImGui::GetIO().DisplaySize = ImVec2(1600, 1000);
}

namespace {
struct PlacedRect {
  float x, y, w, h;
};
PlacedRect rect_of(const char* name) {
  const ImGuiWindow* w = ImGui::FindWindowByName(name);
  REQUIRE(w != nullptr);
  return {w->Pos.x, w->Pos.y, w->SizeFull.x, w->SizeFull.y};
}
}  // namespace

TEST_CASE("layout: a window dragged over the status bar leaves Reset layout on top") {
  // A random-input session left the Compare window over the status bar's right end, and with
  // it the one button that puts every window back out of reach.
  LaunchedApp launched("mae-studio-test-status-on-top");
  auto& [dir, ui, renderer, app] = launched;
  app.state().compare.show = true;
  ui.frame(app);
  ui.frame(app);
  ImGui::SetWindowPos("Compare checkpoints", ImVec2(1600 - 320, 1000 - 240));
  ui.frame(app);
  const PlacedRect compare = rect_of("Compare checkpoints");
  ui.click(app, ImVec2(compare.x + 40, compare.y + 60));  // focused, so brought to the front
  const ImGuiWindow* status = ImGui::FindWindowByName(kStatusBarWindow);
  REQUIRE(status != nullptr);
  const ImVec2 button(status->Pos.x + status->Size.x - 40, status->Pos.y + status->Size.y / 2);
  REQUIRE(button.x > compare.x);
  REQUIRE(button.y < compare.y + compare.h);  // the window covers the button's place
  ui.click(app, button);
  ui.frame(app);
  CHECK(rect_of("Compare checkpoints").x == doctest::Approx(0.2 * 1600).epsilon(0.01));
}

TEST_CASE("layout: a floating window's title bar comes back when dragged out of reach") {
  // Dragged above the top of the screen, a floating window could no longer be moved by its
  // title bar, collapsed or closed.
  LaunchedApp launched("mae-studio-test-title-bar");
  auto& [dir, ui, renderer, app] = launched;
  app.state().compare.show = true;
  ui.frame(app);
  const float bar = ImGui::GetFrameHeight();
  const float width = rect_of("Compare checkpoints").w;
  const struct {
    ImVec2 dragged_to, comes_back_to;
  } cases[] = {{ImVec2(300, -120), ImVec2(300, 0)},
               {ImVec2(300, 990), ImVec2(300, 1000 - (bar + 8) - bar)},  // above the status bar
               {ImVec2(1590, 200), ImVec2(1600 - 4 * bar, 200)},         // four bars' width in view
               {ImVec2(-5000, 200), ImVec2(4 * bar - width, 200)},
               {ImVec2(-100, 200), ImVec2(-100, 200)}};  // half off to the left is fine
  for (const auto& c : cases) {
    CAPTURE(c.dragged_to.x);
    CAPTURE(c.dragged_to.y);
    ImGui::SetWindowPos("Compare checkpoints", c.dragged_to);
    ui.frame(app);
    ui.frame(app);
    const PlacedRect compare = rect_of("Compare checkpoints");
    CHECK(compare.x == doctest::Approx(c.comes_back_to.x));
    CHECK(compare.y == doctest::Approx(c.comes_back_to.y));
  }
}

TEST_CASE("layout: a window shrunk by its corner stops where a few controls still show") {
  // A random-input session left the explorer a 25 px sliver, its text a letter a line.
  LaunchedApp launched("mae-studio-test-least-size");
  auto& [dir, ui, renderer, app] = launched;
  app.state().compare.show = true;
  ui.frame(app);
  ui.frame(app);
  const float least_w = 12 * ImGui::GetFontSize(), least_h = 6 * ImGui::GetFrameHeight();
  for (const char* name : {"Masking explorer", "Compare checkpoints", "Curves"}) {
    CAPTURE(name);
    const PlacedRect before = rect_of(name);
    REQUIRE(before.w > least_w + 40);
    // Its corner a little way in: it shrinks as asked.
    const ImVec2 corner(before.x + before.w - 3, before.y + before.h - 3);
    ui.drag(app, corner, ImVec2(corner.x - 20, corner.y - 10));
    const PlacedRect shrunk = rect_of(name);
    CHECK(shrunk.w == doctest::Approx(before.w - 20).epsilon(0.01));
    CHECK(shrunk.h == doctest::Approx(before.h - 10).epsilon(0.01));
    // All the way up to its title bar: it stops at the least usable size.
    const ImVec2 now(shrunk.x + shrunk.w - 3, shrunk.y + shrunk.h - 3);
    ui.drag(app, now, ImVec2(shrunk.x + 5, shrunk.y + 5));
    const PlacedRect least = rect_of(name);
    CHECK(least.w >= least_w - 1);
    CHECK(least.h >= least_h - 1);
    CHECK(least.w < shrunk.w);
  }
  // Reset layout gives them back their sizes.
  app.reset_layout();
  ui.frame(app);
  CHECK(rect_of("Masking explorer").w == doctest::Approx(0.44 * 1600).epsilon(0.01));
}

TEST_CASE("layout: a resized window keeps the arrangement, scaled, even through a tiny size") {
  // Panels used to keep their pixel sizes when the window grew (leaving the rest empty),
  // and after the window had been very small they stayed squeezed to ImGui's minimum.
  LaunchedApp launched("mae-studio-test-resize");
  auto& [dir, ui, renderer, app] = launched;
  app.state().compare.show = true;
  ui.frame(app);
  ImGui::SetWindowPos("Curves", ImVec2(400, 300));
  ImGui::SetWindowSize("Curves", ImVec2(500, 300));
  ImGui::SetWindowPos("Compare checkpoints", ImVec2(800, 100));
  ui.frame(app);
  const char* kWindows[] = {"Training", "Checkpoint",       "Live triplets",
                            "Curves",   "Masking explorer", "Compare checkpoints"};
  std::map<std::string, PlacedRect> before;
  for (const char* name : kWindows) before[name] = rect_of(name);
  const float bar = ImGui::GetFrameHeight() + 8;  // the status bar, below the panels
  ImGui::GetIO().DisplaySize = ImVec2(800, 600);
  ui.frame(app);
  const PlacedRect curves = rect_of("Curves");
  CHECK(curves.x == doctest::Approx(200).epsilon(0.01));
  CHECK(curves.y == doctest::Approx(300 * (600 - bar) / (1000 - bar)).epsilon(0.01));
  CHECK(curves.w == doctest::Approx(250).epsilon(0.01));
  CHECK(rect_of("Compare checkpoints").x == doctest::Approx(400).epsilon(0.01));
  CHECK(panels_fit(ImVec2(800, 600)));
  // An edge dragged in and out a pixel count at a time, then the window nearly closed and
  // back: everything returns where it was, with no rounding added up on the way.
  for (float width = 800; width <= 1600; width += 37) {
    ImGui::GetIO().DisplaySize = ImVec2(width, 600 + (width - 800) / 2);
    ui.frame(app);
  }
  for (const ImVec2 size :
       {ImVec2(1600, 1000), ImVec2(60, 40), ImVec2(300, 200), ImVec2(1, 1), ImVec2(1600, 1000)}) {
    ImGui::GetIO().DisplaySize = size;
    ui.frame(app);
    ui.frame(app);
  }
  for (const std::string name : kWindows) {
    CAPTURE(name);
    const PlacedRect now = rect_of(name.c_str()), then = before[name];
    CHECK(std::abs(now.x - then.x) <= 1.5f);
    CHECK(std::abs(now.y - then.y) <= 1.5f);
    CHECK(std::abs(now.w - then.w) <= 1.5f);
    CHECK(std::abs(now.h - then.h) <= 1.5f);
  }
  // Reset layout brings the floating window back to its first place too.
  app.reset_layout();
  ui.frame(app);
  CHECK(rect_of("Compare checkpoints").x == doctest::Approx(0.2 * 1600).epsilon(0.01));
  CHECK(rect_of("Curves").x == doctest::Approx(0.22 * 1600).epsilon(0.01));
}

namespace {
// True when no window's content reaches past its right edge (a label or button cut off).
bool nothing_cut_off_at_the_right(std::initializer_list<const char*> windows = {
                                      "Training", "Checkpoint", "Live triplets", "Curves",
                                      "Masking explorer"}) {
  bool fits = true;
  for (const char* name : windows) {
    const ImGuiWindow* w = ImGui::FindWindowByName(name);
    REQUIRE(w != nullptr);
    const float room = w->ContentRegionRect.GetWidth();
    if (w->ContentSize.x > room + 1) {
      MESSAGE(std::string(name) << ": content " << w->ContentSize.x << " px wide in " << room
                                << " px");
      fits = false;
    }
  }
  return fits;
}
}  // namespace

TEST_CASE("layout: at 1280x720 and 1024x768 no panel or window is cut off at its right edge") {
  require_fashion_mnist();
  LaunchedApp launched("mae-studio-test-cut-off");
  auto& [dir, ui, renderer, app] = launched;
  auto& s = app.state();
  app.show_attention(true);  // the widest explorer: its attention controls and map
  s.form.batch = 16;
  s.form.steps = 1000;
  for (const ImVec2 size : {ImVec2(1280, 720), ImVec2(1024, 768)}) {
    CAPTURE(size.x);
    ImGui::GetIO().DisplaySize = size;
    for (int i = 0; i < 4; ++i) ui.frame(app);  // laid out again, then measured
    CHECK(nothing_cut_off_at_the_right());
    app.start_training();  // Pause, Stop and "(running)" make the buttons' row longer
    REQUIRE(frames_until(ui, app, [&] { return app.run_state() == SessionState::Running; }));
    for (int i = 0; i < 2; ++i) ui.frame(app);
    CHECK(nothing_cut_off_at_the_right());
    // The windows the panels open, at their first size.
    s.compare.show = s.experiments.show = s.probe.show = true;
    app.show_step_through(true);
    for (int i = 0; i < 3; ++i) ui.frame(app);
    CHECK(nothing_cut_off_at_the_right(
        {"Compare checkpoints", "Experiments: masking ratio", "Probe", "Step-through"}));
    s.compare.show = s.experiments.show = s.probe.show = false;
    app.show_step_through(false);
    app.stop_training();
    REQUIRE(frames_until(ui, app, [&] { return app.run_state() == SessionState::Stopped; }));
  }
  ImGui::GetIO().DisplaySize = ImVec2(1600, 1000);
}

TEST_CASE("layout: the explorer's pictures and ratio sweep fit its panel without scrolling") {
  // The two large pictures took half the panel's width whatever its height, which pushed the
  // ratio sweep below the panel's bottom at 1600x1000 and 1280x800.
  // With attention shown, the map sat beside the small pictures, two of them wide: the large
  // ones shrank to the small ones' size and the panel scrolled. It is a third large picture now.
  LaunchedApp launched("mae-studio-test-explorer-fits");
  auto& [dir, ui, renderer, app] = launched;
  const auto& e = app.state().explorer;
  for (const bool attention : {false, true}) {
    app.show_attention(attention);
    for (const ImVec2 size : {ImVec2(1600, 1000), ImVec2(1280, 800), ImVec2(1024, 768)}) {
      CAPTURE(attention);
      CAPTURE(size.x);
      ImGui::GetIO().DisplaySize = size;
      REQUIRE(frames_until(ui, app, [&] {
        return e.result && !e.result->sweep.empty() && (!attention || e.result->attention);
      }));
      for (int i = 0; i < 3; ++i) ui.frame(app);
      const ImGuiWindow* w = ImGui::FindWindowByName("Masking explorer");
      REQUIRE(w != nullptr);
      CHECK(w->ScrollMax.y == 0);
      // ... and not by shrinking the large pictures below the small ones.
      const float small = (w->ContentRegionRect.GetWidth() - 24) / 4;
      CHECK(e.masked_view_rect[2] >= small);
      // At 1600x1000 there is room for more than that, with the map or without.
      if (size.x == 1600) CHECK(e.masked_view_rect[2] > 1.1f * small);
    }
  }
  app.show_attention(false);
  ImGui::GetIO().DisplaySize = ImVec2(1600, 1000);
}

TEST_CASE("typed values: sliders keep their range, and Start refuses an lr that cannot train") {
  // Ctrl+click (or Tab) turns an ImGui slider into a text field that took any number: "-5"
  // in the Live triplets' snapshot slider read before the first snapshot and ended the app
  // (found by a random-input session).
  LaunchedApp launched("mae-studio-test-typed-slider");
  auto& [dir, ui, renderer, app] = launched;
  auto& s = app.state();
  s.form.batch = 16;
  s.form.steps = 1000;
  app.start_training();
  REQUIRE(frames_until(ui, app, [&] { return s.snapshots.size() >= 2; }));
  app.toggle_pause();
  ui.type_into_slider(app, ui.find_item(app, "Live triplets", "##snapshot"), "-5");
  CHECK(s.snapshot_index >= 0);
  CHECK(s.snapshot_index < static_cast<int>(s.snapshots.size()));
  ui.type_into_slider(app, ui.find_item(app, "Masking explorer", "ratio"), "7");
  CHECK(s.explorer.ratio <= 0.95f);
  ui.type_into_slider(app, ui.find_item(app, "Training", "mask ratio"), "-3");
  CHECK(s.form.mask_ratio >= 0.05f);
  app.stop_training();
  REQUIRE(frames_until(ui, app, [&] { return app.run_state() == SessionState::Stopped; }));
  // A typed learning rate that cannot train is refused at Start, with a message.
  for (const float lr : {0.0f, -1.0f, std::nanf("")}) {
    s.form.base_lr = lr;
    app.start_training();
    CHECK_FALSE(app.training_active());
    CHECK(s.status.find("cannot start training: base lr") == 0);
  }
}

TEST_CASE("layout: the explorer's pictures settle at one size, with attention or without") {
  // Their size depends on the room left below them, which depended on whether the panel's
  // scrollbar was shown, which depended on their size: at 128 of 780 window sizes tried, the
  // pictures flickered between two sizes every frame.
  LaunchedApp launched("mae-studio-test-explorer-settles");
  auto& [dir, ui, renderer, app] = launched;
  auto& e = app.state().explorer;
  int flickering = 0;
  for (const bool attention : {false, true}) {
    app.show_attention(attention);
    for (const float width : {1024.0f, 1280.0f, 1600.0f}) {
      for (float height = 600; height <= 1200; height += 20) {
        ImGui::GetIO().DisplaySize = ImVec2(width, height);
        REQUIRE(frames_until(ui, app, [&] {
          return e.result && !e.dirty && e.result->extras_done &&
                 (!attention || e.result->attention);
        }));
        for (int i = 0; i < 3; ++i) ui.frame(app);
        float sizes[3];
        for (float& size : sizes) {
          ui.frame(app);
          size = e.masked_view_rect[2];
        }
        if (sizes[0] != sizes[1] || sizes[1] != sizes[2]) {
          MESSAGE("attention " << attention << " at " << width << "x" << height << ": " << sizes[0]
                               << ", " << sizes[1] << ", " << sizes[2] << " px");
          ++flickering;
        }
      }
    }
  }
  CHECK(flickering == 0);
  ImGui::GetIO().DisplaySize = ImVec2(1600, 1000);
}

TEST_CASE("layout: a floating window stays above the panels when a panel is clicked") {
  // Panels used to come to the front when clicked and cover the window their own button had
  // opened; pressing the button again then showed nothing. They were also slightly
  // transparent, so a window behind one showed through its text.
  LaunchedApp launched("mae-studio-test-z-order");
  auto& [dir, ui, renderer, app] = launched;
  app.state().compare.show = true;
  ui.frame(app);
  const auto depth = [](const char* name) {  // higher is nearer the front
    const auto& windows = ImGui::GetCurrentContext()->Windows;
    for (int i = 0; i < windows.Size; ++i)
      if (std::string(windows[i]->Name) == name) return i;
    return -1;
  };
  for (const char* panel : {"Masking explorer", "Training", "Live triplets"}) {
    ImGui::SetWindowFocus(panel);
    ui.frame(app);
    CHECK(depth("Compare checkpoints") > depth(panel));
  }
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

TEST_CASE("Continue goes on from a finished run, and from an opened checkpoint with its recipe") {
  TrainingApp training;
  auto& [ui, renderer, app] = training;
  auto& s = app.state();
  const auto dir = std::filesystem::temp_directory_path() / "mae-studio-test-continue";
  std::filesystem::create_directories(dir);
  std::snprintf(s.form.save_path, sizeof s.form.save_path, "%s", (dir / "run.safetensors").c_str());
  s.form.batch = 8;
  app.set_training_steps(3);
  CHECK(app.continuable().empty());
  app.start_training();
  REQUIRE(frames_until(ui, app, [&] { return app.run_state() == SessionState::Finished; }));
  ui.frame(app);
  CHECK_FALSE(app.continuable().empty());
  s.form.steps = 5;
  app.continue_training();
  REQUIRE(frames_until(ui, app, [&] {
    return app.run_state() == SessionState::Finished && s.last_metrics.step == 5;
  }));
  ui.frame(app);
  // One curve from step 1 to 5: the continued steps follow the first ones.
  CHECK(s.curves.steps.front() == 1);
  CHECK(s.curves.steps.back() == 5);
  CHECK(s.curves.steps.size() == 5);

  // The saved run (step 3), opened as a checkpoint and continued with its own recipe.
  StudioApp fresh(renderer, options_with((dir / "run.safetensors").string()));
  REQUIRE(frames_until(ui, fresh, [&] { return fresh.worker().model_info().loaded; }));
  ui.frame(fresh);
  CHECK(fresh.continuable().find("step 3") != std::string::npos);
  // Its Live triplets come from its own training data.
  REQUIRE(frames_until(ui, fresh, [&] { return fresh.state().checkpoint_snapshot != nullptr; }));
  CHECK(fresh.state().checkpoint_snapshot->label.find("images from fashion-mnist") !=
        std::string::npos);
  CHECK(fresh.state().checkpoint_snapshot->rows.size() == 6);
  fresh.state().form.steps = 4;
  fresh.continue_training();
  REQUIRE(frames_until(ui, fresh, [&] {
    return fresh.run_state() == SessionState::Finished && fresh.state().last_metrics.step == 4;
  }));
  CHECK(fresh.state().curves.steps.size() == 1);
  // A new run keeps the previous run's curve for comparison until cleared.
  app.set_training_steps(2);
  app.start_training();
  CHECK(s.earlier_curves.size() == 1);
  CHECK(s.earlier_curves.front().steps.size() == 5);
  REQUIRE(frames_until(ui, app, [&] { return app.run_state() == SessionState::Finished; }));
  std::filesystem::remove_all(dir);
}

TEST_CASE("file browser: typed paths, opening for the asking control, recent places") {
  LaunchedApp launched("mae-studio-test-browser");
  auto& [dir, ui, renderer, app] = launched;
  auto& s = app.state();
  std::filesystem::create_directories(dir / "pictures");
  const auto picture = (dir / "pictures" / "cat.png").string();
  mae::save_png(picture, torch::rand({3, 20, 20}));
  app.open_file_browser(BrowseTarget::ExplorerImage);
  ui.frame(app);
  app.browse_to((dir / "pictures").string());
  CHECK(s.browser.dir == (dir / "pictures").string());
  ui.frame(app);
  app.browse_to(picture);  // a typed file path opens it
  CHECK(s.explorer.image_label == picture);
  CHECK_FALSE(s.show_file_browser);
  REQUIRE(!s.browser.recent.empty());
  CHECK(s.browser.recent.front() == (dir / "pictures").string());
  app.open_file_browser(BrowseTarget::TrainingData);
  app.browse_open((dir / "pictures").string());
  CHECK(std::string(s.form.data) == (dir / "pictures").string());
  CHECK(s.browser.recent.size() == 1);  // the same place once
  app.browse_to((dir / "missing").string());
  CHECK(s.status.find("no such file") != std::string::npos);
  ui.press(app, keys::kEscape);
}

TEST_CASE("file browser: a folder is read once and again only when files come or go") {
  const auto dir = LaunchedApp::make_dir("mae-studio-test-listing");
  std::filesystem::create_directories(dir / "sub");
  std::ofstream(dir / "b.safetensors") << "x";
  std::ofstream(dir / "a.PNG") << "x";
  std::ofstream(dir / "notes.txt") << "x";
  FolderListing listing;
  auto names = [&](BrowseWants wants) {
    std::vector<std::string> out;
    for (const auto& e : listing.entries(dir.string(), wants))
      out.push_back(e.name + (e.is_dir ? "/" : ""));
    return out;
  };
  CHECK(names(BrowseWants::Checkpoint) == std::vector<std::string>{"sub/", "b.safetensors"});
  CHECK(names(BrowseWants::Picture) == std::vector<std::string>{"sub/", "a.PNG"});
  // A picture added with the folder's time set back is not seen: the listing was kept.
  const auto modified = std::filesystem::last_write_time(dir);
  std::ofstream(dir / "c.png") << "x";
  std::filesystem::last_write_time(dir, modified);
  CHECK(names(BrowseWants::Picture) == std::vector<std::string>{"sub/", "a.PNG"});
  // Once the folder's time moves, it is.
  std::filesystem::last_write_time(dir, modified + std::chrono::seconds(1));
  CHECK(names(BrowseWants::Picture) == std::vector<std::string>{"sub/", "a.PNG", "c.png"});
  CHECK(listing.entries((dir / "missing").string(), BrowseWants::Picture).empty());
  // A link to nothing is left out without cutting the listing short, wherever it comes.
  for (const char* name : {"d.png", "e.png", "f.png", "g.png"}) std::ofstream(dir / name) << "x";
  std::filesystem::create_symlink(dir / "nowhere.png", dir / "dangling.png");
  CHECK(names(BrowseWants::Picture) ==
        std::vector<std::string>{"sub/", "a.PNG", "c.png", "d.png", "e.png", "f.png", "g.png"});
  std::filesystem::remove_all(dir);
}

TEST_CASE("file browser: arrows, Page keys, Home and End walk the list, with Enter and Backspace") {
  LaunchedApp launched("mae-studio-test-browser-keys");
  auto& [dir, ui, renderer, app] = launched;
  auto& s = app.state();
  const auto pictures = dir / "pictures";
  std::filesystem::create_directories(pictures / "inner");
  for (int i = 0; i < 60; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "p%02d.png", i);
    mae::save_png((pictures / name).string(), torch::rand({3, 8, 8}));
  }
  app.open_file_browser(BrowseTarget::ExplorerImage);
  app.browse_to(pictures.string());
  ui.frame(app);
  ImGui::SetWindowFocus("Open image");
  ui.frame(app);
  auto selected_name = [&] { return std::filesystem::path(s.browser.selected).filename(); };
  auto list_scroll = [&] {
    for (ImGuiWindow* w : ImGui::GetCurrentContext()->Windows)
      if (std::string(w->Name).find("Open image/entries") == 0) return w->Scroll.y;
    FAIL("no list in the browser");
    return 0.0f;
  };
  // A key press, then a frame with it up, so that the next press is a new one.
  auto tap = [&](int key) {
    ui.press(app, key);
    ui.frame(app);
  };
  tap(keys::kDownArrow);
  CHECK(selected_name() == "inner");  // folders first
  tap(keys::kDownArrow);
  tap(keys::kDownArrow);
  CHECK(selected_name() == "p01.png");
  CHECK(list_scroll() == 0.0f);
  tap(keys::kEnd);
  CHECK(selected_name() == "p59.png");
  CHECK(list_scroll() > 0.0f);  // the last row scrolled into view
  tap(keys::kPageUp);
  const auto after_page = selected_name().string();
  CHECK(after_page < "p59.png");
  CHECK(after_page > "p10.png");
  tap(keys::kHome);
  CHECK(selected_name() == "inner");
  CHECK(list_scroll() == 0.0f);
  // Enter goes into a folder; Backspace comes back with that folder selected.
  tap(keys::kEnter);
  CHECK(s.browser.dir == (pictures / "inner").string());
  tap(keys::kBackspace);
  CHECK(s.browser.dir == pictures.string());
  CHECK(selected_name() == "inner");
  // Enter on a picture opens it for the control that asked.
  tap(keys::kDownArrow);
  CHECK(selected_name() == "p00.png");
  tap(keys::kEnter);
  CHECK(s.explorer.image_label == (pictures / "p00.png").string());
  CHECK_FALSE(s.show_file_browser);
}

TEST_CASE("the desktop's file chooser runs beside the window and opens what it returns") {
  // A stand-in zenity on PATH: it records its arguments and answers with a picture, or
  // exits 1 as a cancelled chooser does.
  const auto tools = std::filesystem::temp_directory_path() / "mae-studio-test-chooser";
  std::filesystem::create_directories(tools);
  const auto picture = (tools / "chosen.png").string();
  mae::save_png(picture, torch::rand({3, 20, 20}));
  const auto script = tools / "zenity";
  const auto write_script = [&](const std::string& body) {
    std::ofstream(script) << "#!/bin/sh\necho \"$@\" > " << (tools / "args").string() << "\n"
                          << body << "\n";
    std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  };
  write_script("sleep 0.3; echo " + picture);
  const std::string old_path = std::getenv("PATH") ? std::getenv("PATH") : "";
  setenv("PATH", (tools.string() + ":" + old_path).c_str(), 1);
  {
    LaunchedApp launched("mae-studio-test-system-dialog");
    auto& [dir, ui, renderer, app] = launched;
    auto& s = app.state();
    CHECK(app.system_dialog_tool() == "zenity");
    app.open_file_browser(BrowseTarget::ExplorerImage);
    ui.frame(app);
    app.open_system_dialog();
    CHECK(app.system_dialog_running());
    CHECK(app.animating());  // frames keep coming while the chooser is open
    REQUIRE(frames_until(ui, app, [&] { return s.explorer.image_label == picture; }));
    CHECK_FALSE(s.show_file_browser);
    std::ifstream args_file(tools / "args");
    const std::string args((std::istreambuf_iterator<char>(args_file)), {});
    CHECK(args.find("--file-selection") != std::string::npos);
    CHECK(args.find("*.png") != std::string::npos);
    // Cancelled: nothing opens and nothing is reported.
    write_script("exit 1");
    app.open_file_browser(BrowseTarget::TrainingData);
    const std::string data_before = s.form.data;
    app.open_system_dialog();
    REQUIRE(frames_until(ui, app, [&] { return !app.system_dialog_running(); }));
    ui.frame(app);
    CHECK(std::string(s.form.data) == data_before);
    CHECK(s.status.find("without a choice") == std::string::npos);
    args_file = std::ifstream(tools / "args");
    const std::string folder_args((std::istreambuf_iterator<char>(args_file)), {});
    CHECK(folder_args.find("--directory") != std::string::npos);
    // It picks folders only, and its title says so (the in-app browser also lists pictures).
    CHECK(folder_args.find("--title=Training data (a folder)") != std::string::npos);
  }
  setenv("PATH", old_path.c_str(), 1);
  std::filesystem::remove_all(tools);
}

TEST_CASE("watching a run folder: curves follow metrics.jsonl, each checkpoint brings pictures") {
  TrainingApp t;
  auto& [ui, renderer, app] = t;
  const auto dir = std::filesystem::temp_directory_path() / "mae-studio-test-watch";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto config = one_block_config("fmnist-tiny");
  auto model = make_model(config, 0);
  TrainConfig train;
  train.total_steps = 6;
  auto write_steps = [&](int from, int to) {
    std::ofstream out(dir / "metrics.jsonl", std::ios::app);
    for (int s = from; s <= to; ++s)
      out << "{\"step\":" << s << ",\"loss\":" << 1.0 / s << ",\"lr\":0.001,\"step_ms\":10}\n";
  };
  write_steps(1, 3);
  // Dropping a folder with metrics.jsonl watches it (a plain folder would be training data).
  app.handle_drop({dir.string()});
  REQUIRE(app.state().watch);
  REQUIRE(frames_until(
      ui, app, [&] { return app.state().curves.steps.size() == 3; }, 10));
  CHECK(app.state().watch->state == FollowedRunState::Live);
  CHECK(app.state().snapshots.empty());

  save_checkpoint((dir / "last.safetensors").string(), model, {}, &train, 3, 1.0 / 3);
  REQUIRE(frames_until(
      ui, app, [&] { return app.state().snapshots.size() == 1; }, 30));
  CHECK(app.state().watch->checkpoint_step == 3);
  CHECK(app.state().watch->total_steps == 6);
  CHECK(app.state().watch->recipe == describe_recipe(config, train));  // the run's, not the form's
  CHECK(app.state().snapshots[0]->rows.size() == 6);

  write_steps(4, 6);
  save_checkpoint((dir / "last.safetensors").string(), model, {}, &train, 6, 1.0 / 6);
  REQUIRE(frames_until(
      ui, app, [&] { return app.state().snapshots.size() == 2; }, 30));
  CHECK(app.state().curves.steps.size() == 6);
  CHECK(app.state().watch->state == FollowedRunState::Finished);
  CHECK(app.state().watch->checkpoint_step == 6);

  // Read-only: the Training panel shows the watched run, not a form for a run of its own
  // (whose batch, steps and lr would not be the watched run's). The form comes back after.
  const float watching_height = ImGui::FindWindowByName("Training")->ContentSize.y;
  // Stop watching: the folder is let go.
  app.stop_watching();
  CHECK_FALSE(app.state().watch);
  ui.frame(app);
  ui.frame(app);
  const float form_height = ImGui::FindWindowByName("Training")->ContentSize.y;
  CHECK(watching_height < form_height / 2);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a step of many micro-batches shows how far it is, and Pause waits inside it") {
  // ViT-B/16's recipe on this CPU trains as 32 micro-batches of about a minute each: the
  // first step showed nothing for a quarter of an hour, and Pause or Stop waited for its end.
  LaunchedApp launched("mae-studio-test-micro-batches");
  auto& [dir, ui, renderer, app] = launched;
  auto& s = app.state();
  s.form.batch = 2;
  s.form.accum_steps = 1024;
  s.form.steps = 3;
  app.start_training();
  REQUIRE(frames_until(ui, app, [&] { return app.micro_batches_done() > 0; }));
  CHECK_FALSE(s.have_metrics);
  app.toggle_pause();
  CHECK(s.status == "pausing after this micro-batch");
  REQUIRE(frames_until(ui, app, [&] { return app.run_state() == SessionState::Paused; }));
  CHECK_FALSE(s.have_metrics);  // paused inside the first step
  CHECK(app.micro_batches_done() > 0);
  app.stop_training();
  REQUIRE(frames_until(ui, app, [&] { return app.run_state() == SessionState::Stopped; }));
  CHECK(app.micro_batches_done() == 0);
  CHECK_FALSE(s.have_metrics);
}
