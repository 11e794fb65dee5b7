// Why: the Training panel as a user drives it: the form and its presets, Start, Pause, Stop,
// Continue, saving on close and on a signal, memory refusals, photo folders, and what the
// panel shows while a step runs.
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
#include <optional>
#include <thread>

#include "data/image_io.h"
#include "frame_stats.h"
#include "inference_worker.h"
#include "io/checkpoint.h"
#include "keys.h"
#include "model/presets.h"
#include "panels.h"
#include "recipe/recipe.h"
#include "recipe/recipe_difference.h"
#include "studio_app.h"
#include "studio_harness.h"
#include "train/device.h"
#include "train/device_readback.h"
#include "train/memory_estimate.h"

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

namespace {

ExploreResult reconstruction_by(InferenceWorker& worker, const at::Tensor& image) {
  ExploreRequest request;
  request.image = image;
  request.mask.ratio = 0.75;
  request.mask.seed = 7;
  request.id = 1;
  worker.submit(request);
  auto result = next_result(worker);
  REQUIRE(result.has_value());
  REQUIRE(result->error.empty());
  return std::move(*result);
}

}  // namespace

TEST_CASE("weights handed over are read before the giver's stream can take their memory back") {
  // On a GPU the trainer copies its weights on its own stream, whose memory pool gets them
  // back once the last reference goes; the worker must hold them until its stream has read
  // them. Here that read waits behind a fence held back by a long product on a third stream.
  // The moment the worker lets the weights go, the giver takes their memory again and fills
  // it with NaN, as the trainer's next step would fill it with activations: let go too early,
  // the worker reads NaN. On the CPU the same hand-over runs without streams.
  const std::string device = cuda_available() ? "cuda" : "cpu";
  const auto config = one_block_config("rgb-small");
  auto model = make_model(config, 3);
  const auto on_host = model_state(model);
  InferenceWorker reference, worker;
  reference.set_weights(config, on_host, "reference", 1, 1.0);

  DeviceStreamScope giver(device, /*urgent=*/false);
  std::vector<std::vector<int64_t>> shapes;
  std::vector<const void*> handed_memory;
  std::vector<c10::weak_intrusive_ptr<c10::TensorImpl, c10::UndefinedTensorImpl>> handed;
  {
    NamedTensors copies;
    for (const auto& [name, t] : on_host) {
      copies.emplace_back(name, t.to(at::Device(device), /*non_blocking=*/false, /*copy=*/true));
      shapes.push_back(t.sizes().vec());
      handed_memory.push_back(copies.back().second.data_ptr());
      handed.emplace_back(copies.back().second.getIntrusivePtr());
    }
    (void)copies.front().second.sum().item<double>();  // the giver's copies have landed
    std::shared_ptr<const StreamFence> ready;
    std::thread([&] {
      DeviceStreamScope late(device, /*urgent=*/false);  // a stream of this thread's own
      if (device != "cpu") {
        auto product = at::rand({4096, 4096}, at::Device(device));
        for (int i = 0; i < 100; ++i) product = at::mm(product, product).div_(4096.0);
      }
      ready = std::make_shared<const StreamFence>(device);
    }).join();
    worker.set_weights(config, std::move(copies), "handed over", 1, 1.0, std::move(ready));
  }
  const auto let_go = [&] {
    return std::all_of(handed.begin(), handed.end(), [](const auto& w) { return w.expired(); });
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!let_go() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  REQUIRE(let_go());
  std::vector<at::Tensor> overwritten;
  int reused = 0;
  for (const auto& shape : shapes) {
    overwritten.push_back(at::empty(shape, at::Device(device)).fill_(std::nan("")));
    reused +=
        std::count(handed_memory.begin(), handed_memory.end(), overwritten.back().data_ptr()) > 0;
  }
  // Else the giver did not get that memory back, and this run shows nothing of the race.
  if (device != "cpu") CHECK(reused > 0);
  while (!worker.model_info().loaded && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  REQUIRE(worker.model_info().loaded);

  const auto image = at::rand({config.in_chans, config.img_h, config.img_w});
  const auto got = reconstruction_by(worker, image);
  const auto expected = reconstruction_by(reference, image);
  CHECK(std::isfinite(got.main.masked_mse));
  CHECK(got.main.masked_mse == doctest::Approx(expected.main.masked_mse).epsilon(1e-5));
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

TEST_CASE("training from the UI: start, live snapshots and curves, pause with Space, stop") {
  TrainingApp training;
  auto& [ui, renderer, app] = training;
  auto& s = app.state();
  s.form.batch = 32;
  s.form.steps = 1000;
  app.start_training();
  REQUIRE(frames_until(ui, app,
                       [&] { return s.curves.points.steps.size() >= 3 && !s.snapshots.empty(); }));
  CHECK(s.snapshots.back()->rows.size() == 6);
  // The smoothed loss is bias-corrected: it starts at the first loss and stays a weighted
  // average of the losses so far.
  CHECK(s.curves.points.smoothed.front() == doctest::Approx(s.curves.points.loss.front()));
  for (size_t i = 0; i < s.curves.points.smoothed.size(); ++i) {
    const auto first = s.curves.points.loss.begin(),
               last = first + static_cast<std::ptrdiff_t>(i) + 1;
    CHECK(s.curves.points.smoothed[i] <= *std::max_element(first, last) + 1e-9);
    CHECK(s.curves.points.smoothed[i] >= *std::min_element(first, last) - 1e-9);
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
    f.latency_ms.push_back(e.last_timing.total_ms);
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
    const auto& c = s.curves.points;
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

TEST_CASE("an earlier run's curve is named by how its recipe differed from the current run's") {
  TrainingApp training;
  auto& [ui, renderer, app] = training;
  auto& s = app.state();
  s.form.batch = 8;
  s.form.steps = 3;
  app.start_training();
  REQUIRE(frames_until(ui, app, [&] { return app.run_state() == SessionState::Finished; }));
  CHECK(s.curves.name == "run 1");
  s.form.mask_ratio = 0.9f;
  s.form.norm_pix = true;
  app.start_training();
  REQUIRE(frames_until(ui, app, [&] { return app.run_state() == SessionState::Finished; }));
  REQUIRE(s.earlier_curves.size() == 1);
  const auto& earlier = s.earlier_curves.front();
  CHECK(earlier.name == "run 1");
  CHECK(earlier.points.size() == 3);
  REQUIRE(earlier.recipe.has_value());
  REQUIRE(s.curves.recipe.has_value());
  CHECK(s.curves.name == "run 2");
  CHECK(recipe_difference(*earlier.recipe, *s.curves.recipe) == "ratio 0.75, norm_pix off");
  // A loss against per-patch normalized targets is not on the other run's scale: said so.
  CHECK(earlier_run_label(earlier, s.curves) ==
        "run 1: ratio 0.75, norm_pix off (its loss in another space)");
  for (int i = 0; i < 3; ++i) ui.frame(app);  // the legend and both curves drawn
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
    // The split is made against the free memory the form then reports, so it says it fits.
    CHECK(app.training_memory_note().fits);
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
  // A TIFF, which torchvision's ImageFolder would read and we do not.
  { std::ofstream((photos / "clip.gif").string()) << "GIF89a"; }
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
  // The ready line's note outlasts the line, which the panel shows only while preparing.
  const auto& log = app.state().log;
  CHECK(std::count(log.begin(), log.end(),
                   "data: 1 .gif file not read: convert it to JPEG or PNG") == 1);
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

TEST_CASE(
    "typed values: sliders keep their range, and Start refuses an lr that cannot train or a "
    "folder it cannot save to") {
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
  // A save path whose folder cannot be made is refused at Start: the run could save nothing
  // at its end (it trained on, and said so only when Save failed).
  s.form.base_lr = 3e-3f;
  std::snprintf(s.form.save_path, sizeof s.form.save_path, "/proc/mae-studio-none/x.safetensors");
  app.start_training();
  CHECK_FALSE(app.training_active());
  CHECK(s.status ==
        "cannot start training: the save folder /proc/mae-studio-none cannot be made (No such "
        "file or directory): choose another save path");
}

TEST_CASE("Continue goes on from a finished run, and from an opened checkpoint with its recipe") {
  TrainingApp training;
  auto& [ui, renderer, app] = training;
  auto& s = app.state();
  const auto dir = std::filesystem::temp_directory_path() / "mae-studio-test-continue";
  std::filesystem::create_directories(dir);
  small_runs_saved_to(app, dir / "run.safetensors");
  app.set_training_steps(3);
  CHECK(app.continuable().empty());
  app.start_training();
  REQUIRE(frames_until(ui, app, [&] { return app.run_state() == SessionState::Finished; }));
  ui.frame(app);
  CHECK_FALSE(app.continuable().empty());
  // The form's steps are the total to go on to: the 3 reached already train nothing.
  CHECK(s.form.steps == 3);
  app.continue_training();
  CHECK(s.status ==
        "to continue this run (step 3), set steps above 3: they are the total it "
        "goes on to");
  CHECK(app.run_state() == SessionState::Finished);
  s.form.steps = 5;
  app.continue_training();
  REQUIRE(frames_until(ui, app, [&] {
    return app.run_state() == SessionState::Finished && s.last_metrics.step == 5;
  }));
  ui.frame(app);
  // One curve from step 1 to 5: the continued steps follow the first ones.
  CHECK(s.curves.points.steps.front() == 1);
  CHECK(s.curves.points.steps.back() == 5);
  CHECK(s.curves.points.steps.size() == 5);

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
  // On the form's device with the form's bf16 box, here the other way from the run saved.
  const bool saved_bf16 =
      read_checkpoint_info((dir / "run.safetensors").string()).train->autocasts();
  fresh.state().form.device = ComputeDevice::Cpu;
  fresh.state().form.bf16 = !saved_bf16;
  fresh.continue_training();
  CHECK(fresh.state().status == std::string("continuing from step 3 to step 4") +
                                    (saved_bf16 ? ", in fp32 (it was trained with bf16 autocast)"
                                                : ", with bf16 autocast (it was trained in fp32)"));
  REQUIRE(frames_until(ui, fresh, [&] {
    return fresh.run_state() == SessionState::Finished && fresh.state().last_metrics.step == 4;
  }));
  fresh.save_checkpoint((dir / "continued.safetensors").string());
  REQUIRE(frames_until(ui, fresh,
                       [&] { return std::filesystem::exists(dir / "continued.safetensors"); }));
  CHECK(read_checkpoint_info((dir / "continued.safetensors").string()).train->cpu_bf16 ==
        !saved_bf16);
  // Its curve: steps 1 to 3 from the metrics.jsonl beside it, then the step it trained.
  CHECK(fresh.state().curves.points.steps.size() == 4);
  // A new run keeps the previous run's curve for comparison until cleared.
  app.set_training_steps(2);
  app.start_training();
  CHECK(s.earlier_curves.size() == 1);
  CHECK(s.earlier_curves.front().points.size() == 5);
  REQUIRE(frames_until(ui, app, [&] { return app.run_state() == SessionState::Finished; }));
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
