// Why: the ratio experiments and probes report numbers people draw conclusions from, so the
// classifiers must score what they claim, the splits must be the ones documented, and a
// stopped sweep must continue to exactly the result of an uninterrupted one.
#include <doctest/doctest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "analysis/chart_picture.h"
#include "analysis/linear_probe.h"
#include "analysis/probe.h"
#include "analysis/probe_data.h"
#include "analysis/ratio_sweep.h"
#include "analysis/reading.h"
#include "data/image_io.h"
#include "model/presets.h"
#include "test_support.h"
#include "util/folder_lock.h"

using namespace mae;

namespace {
// Two Gaussian blobs per class in `dim` dimensions, well apart.
LabelledFeatures blobs(int64_t per_class, int64_t classes, int64_t dim, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  std::vector<at::Tensor> xs, ys;
  for (int64_t c = 0; c < classes; ++c) {
    auto centre = at::zeros({dim});
    centre[c % dim] = 4.0 * (1 + c / dim);
    xs.push_back(at::randn({per_class, dim}, gen) + centre);
    ys.push_back(at::full({per_class}, c, at::kLong));
  }
  return {at::cat(xs), at::cat(ys), {}};
}

// A labelled folder of 28x28 grayscale PNGs: class a_dark (dark squares) and b_light.
void write_class_folder(const std::string& root, int64_t per_class) {
  for (const char* name : {"a_dark", "b_light"}) {
    std::filesystem::create_directories(root + "/" + name);
    for (int64_t i = 0; i < per_class; ++i) {
      auto image = at::full({1, 28, 28}, name[0] == 'a' ? 0.15 : 0.85);
      image.narrow(1, i % 14, 10).narrow(2, (3 * i) % 14, 10).fill_(0.5);
      save_png(root + "/" + name + "/" + std::to_string(i) + ".png", image);
    }
  }
}

// A sweep of a few steps per ratio, scored on at most 8 test items, on one loader thread.
SweepOptions short_sweep(const std::string& data, std::vector<double> ratios, int64_t steps,
                         const std::string& out) {
  SweepOptions o;
  o.data = data;
  o.ratios = std::move(ratios);
  o.steps = steps;
  o.eval_images = 8;
  o.workers = 1;
  o.out = out;
  return o;
}
}  // namespace

TEST_CASE("linear probe and k-NN classify separable features and count every test item") {
  auto train = blobs(60, 4, 8, 1), test = blobs(20, 4, 8, 2);
  ProbeOptions options;
  options.epochs = 20;
  const auto s = probe_features(train, test, 4, options);
  CHECK(s.linear_accuracy > 0.97);
  CHECK(s.knn_accuracy > 0.97);
  CHECK(s.confusion.sum().item<int64_t>() == 80);
  CHECK(s.confusion.diag().sum().item<int64_t>() ==
        static_cast<int64_t>(std::lround(s.linear_accuracy * 80)));
}

TEST_CASE("linear probe on random labels stays near chance") {
  auto train = blobs(100, 2, 16, 3), test = blobs(100, 2, 16, 4);
  train.labels = at::randint(0, 5, {train.labels.size(0)}, at::kLong);
  test.labels = at::randint(0, 5, {test.labels.size(0)}, at::kLong);
  const auto s = probe_features(train, test, 5);
  CHECK(s.linear_accuracy < 0.4);
}

TEST_CASE("probe items are spread evenly over the source") {
  CHECK(probe_indices(10, 0).size() == 10);
  CHECK(probe_indices(10, 20).size() == 10);
  const auto picked = probe_indices(100, 4);
  CHECK(picked == std::vector<int64_t>{0, 25, 50, 75});
}

TEST_CASE("probe data: a class folder holds out every 5th item, an unlabelled one is refused") {
  TempDir dir;
  write_class_folder(dir.path("classes"), 10);
  const auto config = find_preset("fmnist-tiny").model;
  const auto data = open_scoring_data(dir.path("classes"), config);
  CHECK(data.classes == 2);
  CHECK(data.train->size() == 16);
  CHECK(data.test->size() == 4);
  CHECK(data.test->label(0) == 0);
  CHECK(data.test->label(3) == 1);

  std::filesystem::create_directories(dir.path("flat"));
  save_png(dir.path("flat/one.png"), at::zeros({1, 28, 28}));
  save_png(dir.path("flat/two.png"), at::ones({1, 28, 28}));
  CHECK_THROWS_AS(open_scoring_data(dir.path("flat"), config), DataError);
}

TEST_CASE("probe: the trained-for-nothing encoder and the references are all measured") {
  TempDir dir;
  write_class_folder(dir.path("classes"), 10);
  const auto config = find_preset("fmnist-tiny").model;
  auto model = make_model(config, 0);
  const auto data = open_scoring_data(dir.path("classes"), config);
  const auto r = run_probe(model, data, {});
  CHECK(r.train_items == 16);
  CHECK(r.test_items == 4);
  // Dark and light classes differ in mean brightness: raw pixels separate them.
  CHECK(r.pixels.linear_accuracy == doctest::Approx(1.0));
  CHECK(r.encoder.confusion.sum().item<int64_t>() == 4);
  CHECK(r.random_encoder.confusion.sum().item<int64_t>() == 4);
  const auto picture = render_confusion(r.encoder.confusion, r.class_names);
  CHECK(picture.size(0) == 3);
  CHECK(picture.min().item<float>() >= 0.0f);
}

TEST_CASE("a confusion matrix of two short-named classes shows both headings whole") {
  // "true class" and "predicted class ->" were drawn over each other, and the second cut off,
  // where the class names were short and the classes few. Long names always left room: the
  // headings' ink is the same in both pictures only where neither overlaps nor is cut off.
  const auto confusion = at::tensor({3, 1, 0, 4}, at::kLong).view({2, 2});
  auto heading_ink = [](const at::Tensor& picture) {
    return (picture.narrow(1, 0, 20) < 0.5f).to(at::kLong).sum().item<int64_t>();
  };
  const auto roomy = render_confusion(confusion, {"a long class name", "another long one"});
  const auto short_named = render_confusion(confusion, {"a", "b"});
  CHECK(heading_ink(short_named) == heading_ink(roomy));
}

TEST_CASE("ratio list parsing refuses ratios below 0 or from 1 up") {
  CHECK(parse_ratio_list("0.9,0.25,0.5,0.25") == std::vector<double>{0.25, 0.5, 0.9});
  CHECK_THROWS(parse_ratio_list("0.5,1.0"));
  CHECK_THROWS(parse_ratio_list("0.5,abc"));
  CHECK_THROWS(parse_ratio_list(""));
}

TEST_CASE("a stopped sweep continues to the result of an uninterrupted one") {
  TempDir dir;
  setenv("MAE_CACHE_DIR", dir.path("cache").c_str(), 1);  // training caches decoded pictures
  write_class_folder(dir.path("classes"), 10);
  SweepOptions o = short_sweep(dir.path("classes"), {0.5, 0.75}, 6, dir.path("whole"));
  const auto whole = run_sweep(o);
  REQUIRE(!whole.cancelled);
  REQUIRE(whole.runs.size() == 2);
  CHECK(std::filesystem::exists(whole.json_path));
  CHECK(std::filesystem::exists(whole.picture_path));
  const auto saved = load_sweep_report(o.out);
  REQUIRE(saved);
  REQUIRE(saved->runs.size() == 2);
  CHECK(saved->runs[1].mse_own == whole.runs[1].mse_own);
  CHECK(saved->pixels.linear_accuracy == whole.pixels.linear_accuracy);
  CHECK(saved->space == whole.space);
  CHECK_FALSE(load_sweep_report(dir.path("nothing-here")));
  CHECK(saved->options.steps == 6);
  CHECK(saved->options.ratios == o.ratios);
  // Measured on the 4 test items there are, not the 8 asked for.
  CHECK(whole.eval_items == 4);
  CHECK(saved->eval_items == 4);
  // Each ratio's folder holds its curve as `mae train` writes it, for watching.
  const std::vector<int64_t> steps_1_to_6{1, 2, 3, 4, 5, 6};
  CHECK(logged_steps(o.out + "/ratio-0.50/metrics.jsonl") == steps_1_to_6);
  CHECK(logged_steps(o.out + "/ratio-0.75/metrics.jsonl") == steps_1_to_6);
  // ... and its lock names the sweep, for a watcher to say how the ratio would go on.
  CHECK(mae::folder_writer(o.out + "/ratio-0.75").note.rfind("a masking-ratio sweep, pid ", 0) ==
        0);
  CHECK(whole.notes.empty());
  // A shorter budget in a folder of longer runs is refused, not scored under a wrong label.
  SweepOptions shorter = o;
  shorter.steps = 3;
  CHECK_THROWS_WITH_AS(run_sweep(shorter), doctest::Contains("holds a run of 6 steps"),
                       std::invalid_argument);

  // A second sweep in a folder being swept stops before it trains, naming the first.
  {
    const mae::FolderLock first_sweep(o.out, mae::kSweepWriter);
    const std::string says = o.out + " is in use by a masking-ratio sweep, pid ";
    CHECK_THROWS_WITH_AS(run_sweep(o), doctest::Contains(says.c_str()), std::runtime_error);
  }

  o.out = dir.path("stopped");
  std::stop_source stop;
  auto stop_midway = [&](const SweepStatus& s) {
    if (s.run == 1 && s.step == 3) stop.request_stop();
  };
  const auto first = run_sweep(o, stop_midway, stop.get_token());
  CHECK(first.cancelled);
  CHECK(first.runs.size() == 1);
  const auto second = run_sweep(o);
  REQUIRE(second.runs.size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    CHECK(second.runs[i].mse_own == doctest::Approx(whole.runs[i].mse_own).epsilon(1e-6));
    CHECK(second.runs[i].mse_at_075 == doctest::Approx(whole.runs[i].mse_at_075).epsilon(1e-6));
    CHECK(second.runs[i].linear_accuracy == whole.runs[i].linear_accuracy);
  }
  CHECK(second.runs[0].ratio == 0.5);
  // The stopped run's curve goes on from its save, each step once.
  CHECK(logged_steps(o.out + "/ratio-0.75/metrics.jsonl") == steps_1_to_6);
  // ... and its lock names the sweep, for a watcher to say how the ratio would go on.
  CHECK(mae::folder_writer(o.out + "/ratio-0.75").note.rfind("a masking-ratio sweep, pid ", 0) ==
        0);
  CHECK(second.notes.empty());
  // At its own ratio of 0.75 a run is scored on the very masks used for "at 0.75".
  CHECK(second.runs[1].mse_own == second.runs[1].mse_at_075);
  CHECK(second.runs[0].mse_own != second.runs[0].mse_at_075);
}

namespace {

ProbeScores linear_of(double accuracy) {
  ProbeScores s;
  s.linear_accuracy = accuracy;
  s.knn_accuracy = accuracy - 0.1;
  return s;
}

SweepRunResult run_at(double ratio, double linear, double knn, double mse_own, double mse_at_075) {
  SweepRunResult r;
  r.ratio = ratio;
  r.steps = 60;
  r.linear_accuracy = linear;
  r.knn_accuracy = knn;
  r.mse_own = mse_own;
  r.mse_at_075 = mse_at_075;
  return r;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string all;
  for (const auto& line : lines) all += line + "\n";
  return all;
}

}  // namespace

TEST_CASE("a sweep names the files it left out of a train/ and val/ pair, each folder's") {
  TempDir dir;
  setenv("MAE_CACHE_DIR", dir.path("cache").c_str(), 1);
  write_class_folder(dir.path("pair/train"), 6);
  write_class_folder(dir.path("pair/val"), 3);
  for (const char* split : {"train", "val"}) {
    std::ofstream(dir.path(std::string("pair/") + split + "/b_light/broken.png")) << "not a png";
  }
  const auto report = run_sweep(short_sweep(dir.path("pair"), {0.75}, 2, dir.path("sweep")));
  REQUIRE(!report.cancelled);
  const auto notes = joined(report.notes);
  INFO(notes);
  CHECK(notes.find("train/b_light/broken.png") != std::string::npos);
  CHECK(notes.find("val/b_light/broken.png") != std::string::npos);
  CHECK(report.notes.size() == 2);
}

TEST_CASE("a probe's reading sets the encoder against a random encoder and the pixels") {
  const auto no_better = joined(probe_reading(linear_of(0.70), linear_of(0.82), linear_of(0.74)));
  CHECK(no_better.find("no better than a random encoder's of the same shape (74.00 %)") !=
        std::string::npos);
  CHECK(no_better.find("pixels") == std::string::npos);
  const auto below_pixels =
      joined(probe_reading(linear_of(0.78), linear_of(0.82), linear_of(0.74)));
  CHECK(below_pixels.find("Training added 4.00 points") != std::string::npos);
  CHECK(below_pixels.find("raw pixels still do 4.00 points better") != std::string::npos);
  // Found with `mae probe` on 500 test items: 81.60 % both, read as "-0.00 points better".
  const auto tie =
      joined(probe_reading(linear_of(0.816), linear_of(0.816 + 1e-12), linear_of(0.71)));
  CHECK(tie.find("do equally well with a linear classifier (81.60 %)") != std::string::npos);
  // Likewise a tie with the random encoder is no gain ("added 0.00 points").
  const auto tie_random =
      joined(probe_reading(linear_of(0.74 + 1e-12), linear_of(0.82), linear_of(0.74)));
  CHECK(tie_random.find("no better than a random encoder's") != std::string::npos);
  const auto above_both = joined(probe_reading(linear_of(0.90), linear_of(0.82), linear_of(0.74)));
  CHECK(above_both.find("8.00 points better for a linear classifier than the raw pixels") !=
        std::string::npos);
}

TEST_CASE("a sweep's reading names the best ratios and says when the runs are too short") {
  SweepReport r;
  CHECK(sweep_reading(r).empty());
  r.pixels = linear_of(0.82);
  r.random_encoder = linear_of(0.7445);
  // A sweep of 60 steps per ratio on Fashion-MNIST (runs/sweep): every encoder below a random one.
  r.runs = {
      run_at(0.25, 0.6385, 0.5390, 1.4495, 1.8146), run_at(0.5, 0.6255, 0.5205, 1.4768, 1.6886),
      run_at(0.75, 0.5925, 0.4835, 1.5497, 1.5497), run_at(0.9, 0.6445, 0.5240, 1.6834, 1.8351)};
  auto text = joined(sweep_reading(r));
  CHECK(text.find("Linear probe best at ratio 0.90 (64.45 %), k-NN at 0.25 (53.90 %)") !=
        std::string::npos);
  CHECK(text.find("the model trained at 0.75 reconstructs best") != std::string::npos);
  CHECK(text.find("error at its own ratio rises with the ratio") != std::string::npos);
  CHECK(text.find("No encoder beats a random encoder of the same shape (74.45 %)") !=
        std::string::npos);
  CHECK(text.find("at 60 steps per ratio") != std::string::npos);
  CHECK(text.find("finds 0.75 best") != std::string::npos);
  // Longer runs: above the random encoder, then above the pixels too; an error that does not
  // rise with the ratio is not said to.
  r.runs[2].linear_accuracy = 0.80;
  r.runs[3].mse_own = 1.5;
  text = joined(sweep_reading(r));
  CHECK(text.find("beats a random one (74.45 %) but not the raw pixels (82.00 %)") !=
        std::string::npos);
  CHECK(text.find("rises with the ratio") == std::string::npos);
  // Nor is one that stays level between two ratios, as printed (1.5497 twice).
  r.runs[3].mse_own = 1.5497 + 1e-6;
  text = joined(sweep_reading(r));
  CHECK(text.find("rises with the ratio") == std::string::npos);
  r.runs[2].linear_accuracy = 0.85;
  text = joined(sweep_reading(r));
  CHECK(text.find("Linear probe best at ratio 0.75 (85.00 %)") != std::string::npos);
  CHECK(text.find("beats both a random one (74.45 %) and the raw pixels (82.00 %)") !=
        std::string::npos);
  // One ratio: nothing to compare between ratios.
  r.runs.resize(1);
  text = joined(sweep_reading(r));
  CHECK(text.find("best at ratio") == std::string::npos);
}

TEST_CASE("charts render axes, series and labels without a window") {
  Chart chart{"title", "x", "y", {{"line", {1, 0, 0}, {0, 1}, {0, 1}}}};
  const auto picture = render_chart(chart, 320, 200);
  CHECK(picture.sizes() == at::IntArrayRef({3, 200, 320}));
  // Some pixels are the series' red.
  auto red = picture[0].gt(0.9) & picture[1].lt(0.1) & picture[2].lt(0.1);
  CHECK(red.sum().item<int64_t>() > 50);
  // At scale 2, twice the size, everything is drawn twice as large: four times the ink.
  const auto twice = render_chart(chart, 640, 400, 2);
  CHECK(twice.sizes() == at::IntArrayRef({3, 400, 640}));
  const auto ink = [](const at::Tensor& p) { return p.lt(0.5).all(0).sum().item<double>(); };
  CHECK(ink(twice) / ink(picture) == doctest::Approx(4.0).epsilon(0.15));
}
