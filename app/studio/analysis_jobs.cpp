// Why: the work itself is core's run_sweep and run_probe; this only
// moves it off the UI thread and turns their callbacks into a status the panels read.
#include "analysis_jobs.h"

#include <algorithm>
#include <cstdio>

#include "io/model_files.h"
#include "train/device.h"

namespace mae::studio {

namespace {
JobProgress sweep_progress(const SweepStatus& s, std::vector<double>* parts) {
  char text[160];
  if (s.phase == SweepPhase::Training)
    std::snprintf(text, sizeof text, "run %zu/%zu, ratio %.2f: step %lld/%lld%s, loss %.4f",
                  s.run + 1, s.runs, s.ratio, static_cast<long long>(s.step),
                  static_cast<long long>(s.steps), step_shape(s).c_str(), s.loss);
  else if (s.phase == SweepPhase::Scoring)
    std::snprintf(text, sizeof text, "run %zu/%zu, ratio %.2f: MSE, linear probe, k-NN", s.run + 1,
                  s.runs, s.ratio);
  else if (s.phase == SweepPhase::References)
    std::snprintf(text, sizeof text, "references: raw pixels and a random encoder");
  else
    std::snprintf(text, sizeof text, "done");
  const double within =
      s.steps > 0 ? static_cast<double>(s.step) / static_cast<double>(s.steps) : 1.0;
  const double fraction =
      s.runs == 0
          ? 0.0
          : std::min(1.0, (static_cast<double>(s.run) + within) / static_cast<double>(s.runs));
  parts->resize(s.runs, 0.0);
  for (size_t i = 0; i < std::min(s.run, s.runs); ++i) (*parts)[i] = 1.0;
  if (s.run < s.runs) (*parts)[s.run] = s.phase == SweepPhase::Scoring ? 1.0 : within;
  return {text, fraction, *parts};
}
}  // namespace

std::unique_ptr<SweepJob> start_sweep_job(const SweepOptions& options) {
  return std::make_unique<SweepJob>(
      [options](const SweepJob::ProgressFn& progress, std::stop_token stop) {
        std::vector<double> parts;
        return run_sweep(
            options, [&](const SweepStatus& s) { progress(sweep_progress(s, &parts)); }, stop);
      },
      "ratio sweep failed: ");
}

namespace {
// The probe of whatever `open_model` returns, opened on the job's thread.
std::unique_ptr<ProbeJob> probe_job(std::function<ModelFile()> open_model, const std::string& data,
                                    const ProbeRunOptions& options, const std::string& what) {
  return std::make_unique<ProbeJob>(
      [=](const ProbeJob::ProgressFn& progress, std::stop_token stop) {
        const auto file = open_model();
        auto model = probe_model(file, resolve_device("cpu"));
        const auto splits = open_scoring_data(data, file.config);
        return run_probe(
            model, splits, options,
            [&](const std::string& stage, double fraction) {
              progress({stage, fraction, {}});
            },
            stop);
      },
      "probe of " + what + " failed: ");
}
}  // namespace

std::unique_ptr<ProbeJob> start_probe_job(const std::string& checkpoint, const std::string& data,
                                          const ProbeRunOptions& options) {
  return probe_job([checkpoint] { return read_model_file(checkpoint); }, data, options, checkpoint);
}

std::unique_ptr<ProbeJob> start_probe_job(std::shared_ptr<const PublishedWeights> weights,
                                          const std::string& data, const ProbeRunOptions& options) {
  const auto what = weights->source;
  return probe_job(
      [weights = std::move(weights)] {
        // On a GPU the copies were queued on the trainer's stream: this thread's stream waits
        // for them, and build_model's copies to the CPU wait for this stream.
        if (weights->ready) weights->ready->order_current_stream_after();
        ModelFile file;
        file.path = weights->source;
        file.config = weights->config;
        file.tensors = weights->weights;
        return file;
      },
      data, options, what);
}

}  // namespace mae::studio
