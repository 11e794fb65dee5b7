// Why: a run's curve outlives the process that trained it. `mae train` and the app's training
// write metrics.jsonl in one format, one JSON line a step, and watching a run folder reads it
// back; writer and reader live here together so that the two cannot drift apart. A step's
// figures are defined here too, free of torch, so that readers of curves need no trainer.
#pragma once

#include <chrono>
#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace mae {

// One optimizer step as the trainer reports it and metrics.jsonl keeps it.
struct StepMetrics {
  int64_t step = 0;  // optimizer steps completed after this one
  double loss = 0.0;
  double lr = 0.0;
  double images_per_sec = 0.0;
  double step_ms = 0.0;
  double allreduce_ms = 0.0;  // of step_ms, waiting for the all-reduce after backward (ranks)
  // With ranks: the gradient buckets all-reduced, and how many of them started inside the
  // step's last backward (the rest only after it): all of them, where the overlap works.
  int64_t allreduce_buckets = 0;
  int64_t buckets_started_in_backward = 0;
  // Of step_ms, the device left idle while the trainer's thread waited for the loader's
  // batches (on a GPU, the next step's, loaded while this one runs there: only the wait past
  // the end of this one counts): a large share says the loader falls behind.
  double data_wait_ms = 0.0;
  int64_t memory_bytes = 0;
  bool nonfinite = false;  // the step was skipped; weights are unchanged
  int64_t skipped_files = 0;
  bool stop_requested = false;  // some rank asked to stop; every rank sees it at this step
  bool graphed = false;         // the step was a CUDA graph replay
  uint64_t run = 0;             // the run that took it (run_id.h); 0: not known
};

// One step as a flat JSON object, without the newline; a skipped (non-finite) step's loss is
// null.
std::string metrics_line(const StepMetrics& m);

// The step a line holds; nothing for anything but one flat record with an integer "step"
// (hostile lines included).
std::optional<StepMetrics> parse_metrics_line(const std::string& line);

// Where a checkpoint left its run's curve: its step, the last finite loss the run saw (a
// checkpoint keeps that one when its own step was skipped as non-finite), and the run's
// identity (0: a checkpoint saved before runs had one).
struct CheckpointMark {
  int64_t step = 0;
  double loss = 0.0;
  uint64_t run = 0;
};

// The curve that led to the checkpoint `mark`: the lines of the metrics.jsonl at `path` up to
// its step, as a resumed log keeps them. Empty when the file is missing, ends before that
// step, or tells another loss there or another run's identity: the file holds another run's
// curve (a newer run started over in that folder).
std::vector<StepMetrics> curve_to_checkpoint(const std::string& path, const CheckpointMark& mark);

// A run's metrics.jsonl, written a line a step. Lines reach the file at least once a second
// (and on flush() or destruction), so that a watcher sees the run move without a write per
// step.
class MetricsLog {
 public:
  // Opens `path` for a new run, emptied, or for a run resumed from the checkpoint `resumed`: its
  // lines up to the checkpoint's step are kept and the rest dropped (steps logged after the
  // checkpoint was saved, which the resumed run takes again). When the file tells another loss
  // at that step, or its last line kept names another run, it is another run's curve (a newer
  // run started over in the folder and was not saved, even one killed before reaching that
  // step): it is moved aside, not mixed into this one, and this run's curve starts over.
  // Throws, naming the file and the reason.
  MetricsLog(std::string path, std::optional<CheckpointMark> resumed);
  ~MetricsLog();

  // Adds the step's line. Once the file could not take a line (a full disk), the log writes
  // nothing more (no half line follows a freed disk) and the run goes on without it.
  void write(const StepMetrics& m);
  void flush();
  const std::string& path() const { return path_; }
  // "cannot write <path> (disk full?): the saved curve ends at step N", N being the last
  // step whose line reached the file.
  std::string failure() const;
  // failure(), the first time this is asked after a write or flush failed; else nothing. The
  // caller says it once and trains on.
  std::optional<std::string> new_failure();
  // "<path> held another run's curve: it is kept as <other path>, and this run's curve starts
  // over", when the constructor moved a file aside.
  const std::optional<std::string>& moved_aside() const { return moved_aside_; }

 private:
  std::string path_;
  std::ofstream file_;
  std::chrono::steady_clock::time_point flushed_at_;
  std::optional<int64_t> buffered_step_, saved_step_;
  std::optional<std::string> moved_aside_;
  bool failed_ = false, failure_told_ = false;
};

}  // namespace mae
