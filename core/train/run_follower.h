// Why: a run folder written by `mae train` (here, on a shared file system, or by rank 0 of
// a distributed run) is watched from the desktop while the run goes on. This reads what
// the trainer appends, never writes, locks or creates anything in the folder, and never
// reads a half-written line or checkpoint: metrics are taken a whole line at a time, and a
// checkpoint only once its file has stayed the same for one poll (ours are renamed into
// place whole; the wait also covers writers that are not atomic).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/metrics_record.h"
#include "util/file_identity.h"

namespace mae {

// Ended: the process that wrote the run is gone before its last step (stopped, killed, or
// paused with --until), known for runs that lock their folder.
enum class FollowedRunState { Waiting, Live, Stalled, Finished, Ended };
std::string to_string(FollowedRunState state);

// What a follower knows of the run, as of a moment.
struct FollowedRunStatus {
  FollowedRunState state = FollowedRunState::Waiting;
  int64_t last_step = 0;
  int64_t total_steps = 0;  // planned, from the newest checkpoint's recipe; 0 until one is seen
  double seconds_since_progress = 0.0;
  // No new line for this long means stalled: 5x the usual gap between updates, >= 30 s.
  double stall_after_seconds = 30.0;
  // Who wrote the run, as its folder's lock says ("mae train, pid 123 on host, since ..."),
  // as of the last poll: empty for runs that lock nothing.
  std::string writer;
  bool folder_missing = false;  // as of the last poll: no run has made the folder (yet)
};

struct RunUpdate {
  std::vector<StepMetrics> metrics;  // lines completed since the last poll
  // metrics.jsonl was replaced, cut or rewritten (a new run, or one resumed from an earlier
  // checkpoint): it is read again from its start, and the curve read so far is dropped.
  bool restarted = false;
  std::optional<std::string> checkpoint;  // a new, settled last.safetensors to load
  std::vector<std::string> problems;      // one line each: unreadable line, missing folder
};

class RunFollower {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RunFollower(std::string folder);

  // Reads what is new. Cheap (a stat and the appended bytes); call every half second or so.
  RunUpdate poll(Clock::time_point now = Clock::now());

  const std::string& folder() const { return folder_; }
  // What the polls so far tell of the run, at `now`.
  FollowedRunStatus status(Clock::time_point now = Clock::now()) const;

 private:
  FollowedRunState state(Clock::time_point now) const;
  double seconds_since_progress(Clock::time_point now) const;
  double stall_after_seconds() const;
  void read_metrics(RunUpdate& update, Clock::time_point now);
  // Whether the file open as `fd` still holds, just before where reading stopped, the bytes
  // read there.
  bool still_ends_with_seen_tail(int fd) const;
  void check_checkpoint(RunUpdate& update);

  std::string folder_;
  uint64_t metrics_offset_ = 0;
  std::optional<FileIdentity> metrics_identity_;
  std::string partial_line_;
  std::string seen_tail_;  // the last bytes read, up to where reading stopped
  int64_t last_step_ = 0;
  int64_t total_steps_ = 0;
  std::optional<Clock::time_point> last_progress_;
  double typical_gap_s_ = 0.0;
  std::optional<FileIdentity> checkpoint_seen_;    // as of the last poll
  std::optional<FileIdentity> checkpoint_loaded_;  // the one handed out
  bool reported_missing_ = false;
  bool writer_gone_ = false;  // as of the last poll
  std::string writer_;
};

}  // namespace mae
