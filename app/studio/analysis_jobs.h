// Why: ratio sweeps and probes run for minutes; the window must stay live and the user must
// be able to stop them. Each runs on its own thread, reports a status line and a fraction
// that the UI polls, and hands its report over once, when done.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "analysis/probe.h"
#include "analysis/ratio_sweep.h"
#include "published_weights.h"
#include "util/intra_op_threads.h"

namespace mae::studio {

struct JobProgress {
  std::string line;           // "run 2/4, ratio 0.50: step 120/600, loss 0.81"
  double fraction = 0.0;      // of the whole job
  std::vector<double> parts;  // a sweep's progress per run (ratio), each in [0, 1]
};

template <class Report>
class BackgroundJob {
 public:
  using ProgressFn = std::function<void(JobProgress)>;
  using Work = std::function<Report(const ProgressFn&, std::stop_token)>;

  // `failure` prefixes the message of an exception that ends the work.
  BackgroundJob(Work work, std::string failure)
      : thread_([this, work = std::move(work), failure = std::move(failure)](std::stop_token stop) {
          try {
            use_cores();
            auto report = work(
                [this](JobProgress p) {
                  use_cores();  // reports come between steps: the place to follow share_cores
                  set(&progress_, std::move(p));
                },
                stop);
            set(&report_, std::optional<Report>(std::move(report)));
          } catch (const std::exception& e) {
            set(&error_, std::optional<std::string>(failure + e.what()));
          }
          set(&active_, false);
        }) {}
  ~BackgroundJob() { thread_.request_stop(); }  // the jthread then joins
  BackgroundJob(const BackgroundJob&) = delete;
  BackgroundJob& operator=(const BackgroundJob&) = delete;

  void cancel() { thread_.request_stop(); }
  // The intra-op threads the job's work may use from its next report on (0: all of them),
  // so that it and a CPU training run beside it split the cores instead of both running
  // teams as wide as the machine.
  void share_cores(int threads) { cores_ = threads; }
  bool active() const { return get(active_); }
  JobProgress progress() const { return get(progress_); }
  // Once each: the report (possibly a cancelled one) or the error that ended the work.
  std::optional<Report> take_report() { return take(&report_); }
  std::optional<std::string> take_error() { return take(&error_); }

 private:
  void use_cores() {
    const int wanted = cores_.load();
    set_intra_op_threads_here(wanted > 0 ? wanted : default_intra_op_threads());
  }
  template <class T>
  void set(T* field, T value) {
    std::lock_guard lock(mutex_);
    *field = std::move(value);
  }
  template <class T>
  T get(const T& field) const {
    std::lock_guard lock(mutex_);
    return field;
  }
  template <class T>
  std::optional<T> take(std::optional<T>* field) {
    std::lock_guard lock(mutex_);
    auto out = std::move(*field);
    field->reset();
    return out;
  }

  std::atomic<int> cores_{0};
  mutable std::mutex mutex_;
  JobProgress progress_;
  bool active_ = true;
  std::optional<Report> report_;
  std::optional<std::string> error_;
  std::jthread thread_;  // last: starts after every field above exists
};

using SweepJob = BackgroundJob<SweepReport>;
using ProbeJob = BackgroundJob<ProbeReport>;

std::unique_ptr<SweepJob> start_sweep_job(const SweepOptions& options);
// Probes the encoder of `checkpoint` (any format mae reads) on the splits of `data`.
std::unique_ptr<ProbeJob> start_probe_job(const std::string& checkpoint, const std::string& data,
                                          const ProbeRunOptions& options);
// Probes the encoder of weights a training run published: the run goes on beside it.
std::unique_ptr<ProbeJob> start_probe_job(std::shared_ptr<const PublishedWeights> weights,
                                          const std::string& data, const ProbeRunOptions& options);

}  // namespace mae::studio
