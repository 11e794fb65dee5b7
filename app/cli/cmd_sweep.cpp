// Why: `mae sweep`: the masking-ratio experiment from the terminal, one model per ratio
// with equal budgets, resumable (run it again to continue), printed as a table.

#include <csignal>
#include <cstdio>
#include <memory>
#include <stop_token>

#include "analysis/ratio_sweep.h"
#include "analysis/reading.h"
#include "commands.h"
#include "status_line.h"
#include "util/format_duration.h"

namespace mae::cli {

namespace {
struct SweepArgs {
  SweepOptions options;
  std::string ratios = "0.25,0.5,0.75,0.9";
  bool json = false;
};

std::stop_source* g_stop = nullptr;
extern "C" void on_interrupt(int) {
  if (g_stop) g_stop->request_stop();
}

void run(SweepArgs& a) {
  a.options.ratios = parse_ratio_list(a.ratios);
  std::stop_source stop;
  g_stop = &stop;
  std::signal(SIGINT, on_interrupt);
  StatusLine line;
  auto status = [&](const SweepStatus& s) {
    if (s.phase == SweepPhase::Training && s.step % 10 != 0 && s.step != s.steps) return;
    // In a log file, a run's steps every ten seconds, and each change of phase.
    const bool throttled = s.phase == SweepPhase::Training && s.step != s.steps;
    if (s.phase == SweepPhase::Training)
      line.showf(throttled, "run %zu/%zu  ratio %.2f  step %lld/%lld%s  loss %.4f", s.run + 1,
                 s.runs, s.ratio, static_cast<long long>(s.step), static_cast<long long>(s.steps),
                 step_shape(s).c_str(), s.loss);
    else if (s.phase == SweepPhase::Scoring)
      line.showf(false, "run %zu/%zu  ratio %.2f  scoring (MSE, linear probe, k-NN)", s.run + 1,
                 s.runs, s.ratio);
    else if (s.phase == SweepPhase::References)
      line.show("references: raw pixels and a random encoder");
  };
  const auto r = run_sweep(a.options, status, stop.get_token());
  line.erase();
  g_stop = nullptr;
  std::signal(SIGINT, SIG_DFL);
  for (const auto& note : r.notes) std::fprintf(stderr, "%s\n", note.c_str());
  if (r.cancelled) {
    std::printf("stopped: %zu of %zu ratios finished; run the same command to continue\n",
                r.runs.size(), a.options.ratios.size());
    return;
  }
  if (a.json) {
    std::printf("%s\n", sweep_report_json(a.options, r).c_str());
    return;
  }
  std::printf("%s on %s, %lld steps per ratio; probes on %lld train / %lld test items (%s)\n",
              a.options.preset.c_str(), a.options.data.c_str(),
              static_cast<long long>(r.runs.empty() ? 0 : r.runs.front().steps),
              static_cast<long long>(r.probe_train_items),
              static_cast<long long>(r.probe_test_items), r.split.c_str());
  if (r.eval_items > 0)
    std::printf("masked-patch MSE in %s on %lld test images\n\n", r.space.c_str(),
                static_cast<long long>(r.eval_items));
  else  // runs scored before the count was kept
    std::printf("masked-patch MSE in %s on up to %lld test images\n\n", r.space.c_str(),
                static_cast<long long>(a.options.eval_images));
  std::printf("  ratio  final loss  MSE own  MSE @0.75  linear %%  k-NN %%  train time\n");
  for (const auto& run : r.runs)
    std::printf("  %5.2f  %10.4f  %7.4f  %9.4f  %8.2f  %6.2f  %s\n", run.ratio, run.final_loss,
                run.mse_own, run.mse_at_075, 100 * run.linear_accuracy, 100 * run.knn_accuracy,
                format_duration(run.train_seconds).c_str());
  std::printf("  raw pixels                                 %8.2f  %6.2f\n",
              100 * r.pixels.linear_accuracy, 100 * r.pixels.knn_accuracy);
  std::printf("  random encoder                             %8.2f  %6.2f\n",
              100 * r.random_encoder.linear_accuracy, 100 * r.random_encoder.knn_accuracy);
  std::printf("\n");
  for (const auto& line : sweep_reading(r)) std::printf("%s\n", line.c_str());
  std::printf("\nwrote %s and %s (%s this call)\n", r.json_path.c_str(), r.picture_path.c_str(),
              format_duration(r.seconds).c_str());
}
}  // namespace

void add_sweep(CLI::App& app) {
  auto args = std::make_shared<SweepArgs>();
  auto& o = args->options;
  auto* cmd = app.add_subcommand(
      "sweep", "one model per masking ratio, scored by MSE, linear probe and k-NN (resumable)");
  cmd->add_option("--data", o.data, "fashion-mnist or a labelled folder")->capture_default_str();
  cmd->add_option("--preset", o.preset, "architecture and recipe")->capture_default_str();
  cmd->add_option("--ratios", args->ratios, "comma-separated mask ratios")->capture_default_str();
  cmd->add_option("--steps", o.steps, "optimizer steps per ratio (default: the preset's)")
      ->check(kCount);
  cmd->add_option("--out", o.out, "folder for the runs, sweep.json and sweep.png")
      ->capture_default_str();
  cmd->add_option("--seed", o.seed, "seed shared by every run")->capture_default_str();
  cmd->add_option("--eval-images", o.eval_images, "test images for the MSE")->capture_default_str();
  cmd->add_option("--probe-train", o.probe.max_train, "probe on at most N training items")
      ->check(kCount);
  cmd->add_option("--probe-test", o.probe.max_test, "score probes on at most N test items")
      ->check(kCount);
  cmd->add_option("--device", o.device, "auto (a GPU when there is one), cpu or cuda")
      ->capture_default_str();
  cmd->add_option("--workers", o.workers,
                  "data loader threads (default: 2 on the CPU; on a GPU, the cores less one, at "
                  "most 16)")
      ->check(kCount);
  cmd->add_flag("--adapt-threads", o.adapt_threads,
                "on the CPU, train on fewer threads while that is faster (beside other busy "
                "processes); the losses then differ in their last digits from run to run");
  cmd->add_flag("--json", args->json, "print JSON");
  cmd->callback([args] { run(*args); });
}

}  // namespace mae::cli
