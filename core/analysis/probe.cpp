// Why: feature extraction dominates the time, so progress is reported per
// batch of it; the classifiers on cached features take seconds.
#include "analysis/probe.h"

#include <ATen/ATen.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "io/model_files.h"

namespace mae {

MaeModel probe_model(const ModelFile& file, const std::string& device) {
  if (!file.warning.empty()) throw std::runtime_error("nothing to probe: " + file.warning);
  return build_encoder(file, device);
}

namespace {
nlohmann::json scores_json(const ProbeScores& s) {
  nlohmann::json confusion = nlohmann::json::array();
  if (s.confusion.defined()) {
    auto c = s.confusion.contiguous();
    for (int64_t i = 0; i < c.size(0); ++i) {
      std::vector<int64_t> row(c[i].data_ptr<int64_t>(), c[i].data_ptr<int64_t>() + c.size(1));
      confusion.push_back(row);
    }
  }
  return {{"linear_accuracy", s.linear_accuracy},
          {"knn_accuracy", s.knn_accuracy},
          {"confusion", confusion}};
}
}  // namespace

ProbeReport run_probe(MaeModel& model, const ProbeData& data, const ProbeRunOptions& options,
                      const ProbeProgressFn& progress, std::stop_token stop) {
  const auto start = std::chrono::steady_clock::now();
  const auto& config = model->config();
  ProbeReport r;
  r.classes = data.classes;
  r.class_names = data.class_names;
  r.split = data.how;
  r.features = "encoder on the whole image (no patch removed), final-norm patch tokens averaged (" +
               std::to_string(config.embed_dim) + " values); standardised for the linear probe";
  const auto train_items = probe_indices(data.train->size(), options.max_train);
  const auto test_items = probe_indices(data.test->size(), options.max_test);
  const auto train_count = static_cast<double>(train_items.size());
  const double total = train_count + static_cast<double>(test_items.size());
  // Encoder passes take nearly all the time: the checkpoint's (and the random one's) share.
  const double passes = options.references ? 2.0 : 1.0;
  auto report = [&](const std::string& stage, double fraction) {
    if (progress) progress(stage, std::min(1.0, fraction));
  };
  auto features_of = [&](MaeModel& m, const std::string& name, double base) {
    auto on_train = [&](int64_t done, int64_t) {
      report(name + " features", base + static_cast<double>(done) / total / passes);
    };
    auto train = encoder_features(m, *data.train, train_items, options.batch, on_train, stop);
    auto on_test = [&](int64_t done, int64_t) {
      report(name + " features", base + (train_count + static_cast<double>(done)) / total / passes);
    };
    auto test = encoder_features(m, *data.test, test_items, options.batch, on_test, stop);
    return std::make_pair(std::move(train), std::move(test));
  };

  auto [train, test] = features_of(model, "encoder", 0.0);
  if (stop.stop_requested()) {
    r.cancelled = true;
    return r;
  }
  // What was probed: a file that could not be read is left out, and named.
  r.train_items = train.features.size(0);
  r.test_items = test.features.size(0);
  r.unreadable = train.unreadable;
  r.unreadable.insert(r.unreadable.end(), test.unreadable.begin(), test.unreadable.end());
  report("linear probe and k-NN", 1.0 / passes);
  r.encoder = probe_features(train, test, r.classes, options.probe);
  if (options.references) {
    r.pixels = probe_pixels(config, data, options, stop);
    auto random = make_model(config, options.random_encoder_seed);
    random->to(model->cls_token.device());
    auto [random_train, random_test] = features_of(random, "random encoder", 1.0 / passes);
    if (stop.stop_requested()) {
      r.cancelled = true;
      return r;
    }
    r.random_encoder = probe_features(random_train, random_test, r.classes, options.probe);
  }
  report("done", 1.0);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

ProbeScores probe_pixels(const MaeConfig& config, const ProbeData& data,
                         const ProbeRunOptions& options, std::stop_token stop) {
  const auto train_items = probe_indices(data.train->size(), options.max_train);
  const auto test_items = probe_indices(data.test->size(), options.max_test);
  auto train = pixel_features(config, *data.train, train_items, options.batch, stop);
  auto test = pixel_features(config, *data.test, test_items, options.batch, stop);
  return probe_features(train, test, data.classes, options.probe);
}

std::string probe_report_json(const ProbeReport& r) {
  nlohmann::json j = {{"train_items", r.train_items},
                      {"test_items", r.test_items},
                      {"classes", r.classes},
                      {"class_names", r.class_names},
                      {"split", r.split},
                      {"features", r.features},
                      {"encoder", scores_json(r.encoder)},
                      {"seconds", r.seconds},
                      {"unreadable", r.unreadable}};
  if (r.pixels.confusion.defined()) {
    j["raw_pixels"] = scores_json(r.pixels);
    j["random_encoder"] = scores_json(r.random_encoder);
  }
  return j.dump(2);
}

}  // namespace mae
