// Why: `mae probe`: what a checkpoint's encoder learned, as linear-probe and k-NN accuracy
// next to the same probes on raw pixels and on a random encoder of the same shape.

#include <cstdio>
#include <memory>

#include "analysis/chart_picture.h"
#include "analysis/probe.h"
#include "analysis/reading.h"
#include "commands.h"
#include "data/image_io.h"
#include "io/model_files.h"
#include "status_line.h"
#include "train/device.h"
#include "unreadable_files.h"
#include "util/format_duration.h"

namespace mae::cli {

namespace {
struct ProbeArgs {
  std::string checkpoint;
  std::string data = "fashion-mnist";
  std::string device = "auto";
  int64_t max_train = 0;
  int64_t max_test = 0;
  int64_t epochs = 30;
  std::string confusion_png;
  bool json = false;
};

void print_row(const char* name, const ProbeScores& s) {
  std::printf("  %-28s %6.2f %%   %6.2f %%\n", name, 100 * s.linear_accuracy, 100 * s.knn_accuracy);
}

void run(const ProbeArgs& a) {
  const auto file = read_model_file(a.checkpoint);
  auto model = probe_model(file, resolve_device(a.device));
  const auto data = open_scoring_data(a.data, file.config);
  ProbeRunOptions options;
  options.max_train = a.max_train;
  options.max_test = a.max_test;
  options.probe.epochs = a.epochs;
  int last_percent = -1;
  std::string last_stage;
  StatusLine status;
  // In a log file, each stage's first line, then its progress every few seconds.
  auto progress = [&](const std::string& stage, double fraction) {
    const int percent = static_cast<int>(100 * fraction);
    if (a.json || (percent == last_percent && stage == last_stage)) return;
    status.showf(stage == last_stage, "%-40s %3d %%", stage.c_str(), percent);
    last_percent = percent;
    last_stage = stage;
  };
  const auto r = run_probe(model, data, options, progress);
  status.erase();
  if (!a.confusion_png.empty())
    save_png(a.confusion_png, render_confusion(r.encoder.confusion, r.class_names));
  if (a.json) {
    std::printf("%s\n", probe_report_json(r).c_str());
    return;
  }
  print_unreadable(r.unreadable);
  std::printf("%lld train / %lld test items, %lld classes (%s), %s:\n",
              static_cast<long long>(r.train_items), static_cast<long long>(r.test_items),
              static_cast<long long>(r.classes), r.split.c_str(),
              format_duration(r.seconds).c_str());
  std::printf("  features: %s\n", r.features.c_str());
  std::printf("  %-28s %8s   %8s\n", "", "linear", "k-NN");
  print_row(a.checkpoint.size() < 26 ? a.checkpoint.c_str() : "checkpoint encoder", r.encoder);
  print_row("raw pixels", r.pixels);
  print_row("random encoder (same shape)", r.random_encoder);
  for (const auto& line : probe_reading(r.encoder, r.pixels, r.random_encoder))
    std::printf("%s\n", line.c_str());
  if (!a.confusion_png.empty())
    std::printf("confusion matrix of the linear probe: %s\n", a.confusion_png.c_str());
}
}  // namespace

void add_probe(CLI::App& app) {
  auto args = std::make_shared<ProbeArgs>();
  auto* cmd = app.add_subcommand(
      "probe", "linear-probe and k-NN accuracy of a checkpoint's encoder, with references");
  cmd->add_option("--checkpoint", args->checkpoint, kCheckpointHelp)->required();
  cmd->add_option("--data", args->data,
                  "fashion-mnist, a folder with train/ and val/ (or test/) class folders, or a "
                  "class folder (every 5th item is held out)")
      ->capture_default_str();
  cmd->add_option("--max-train", args->max_train, "probe on at most N training items")
      ->check(kCount);
  cmd->add_option("--max-test", args->max_test, "score on at most N test items")->check(kCount);
  cmd->add_option("--epochs", args->epochs, "linear classifier epochs")->capture_default_str();
  cmd->add_option("--confusion-png", args->confusion_png, "save the confusion matrix picture");
  cmd->add_option("--device", args->device, "auto (a GPU when there is one), cpu or cuda")
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "print JSON");
  cmd->callback([args] { run(*args); });
}

}  // namespace mae::cli
