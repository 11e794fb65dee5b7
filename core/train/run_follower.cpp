// Why: a file is known by its inode, size and time, so a new run that replaces metrics.jsonl is
// read from its start, and a line that is not one flat record is skipped, never trusted.
#include "train/run_follower.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "io/checkpoint.h"
#include "io/metrics_record.h"
#include "util/folder_lock.h"
#include "util/one_line_error.h"

namespace mae {

namespace {

constexpr size_t kMaxLine = 1 << 16;         // a metrics line is ~250 bytes
constexpr size_t kMaxReadPerPoll = 8 << 20;  // a long run's history arrives over a few polls
// What is kept of the bytes read so far, to tell that they are still there: more than a line,
// so that it holds a step and its loss.
constexpr size_t kSeenTail = 512;

}  // namespace

std::string to_string(FollowedRunState state) {
  switch (state) {
    case FollowedRunState::Waiting:
      return "waiting for the first step";
    case FollowedRunState::Live:
      return "live";
    case FollowedRunState::Stalled:
      return "stalled";
    case FollowedRunState::Finished:
      return "finished";
    case FollowedRunState::Ended:
      return "ended";
  }
  return "?";
}

RunFollower::RunFollower(std::string folder) : folder_(std::move(folder)) {}

RunUpdate RunFollower::poll(Clock::time_point now) {
  RunUpdate update;
  struct stat st {};
  if (::stat(folder_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    if (!reported_missing_) update.problems.push_back("'" + folder_ + "' is not a folder (yet)");
    reported_missing_ = true;
    return update;
  }
  reported_missing_ = false;
  // Asked before reading: a writer gone by then has flushed every line that this read gets.
  auto writing = folder_writer(folder_);
  writer_gone_ = writing.state == FolderWriter::Gone;
  writer_ = std::move(writing.note);
  read_metrics(update, now);
  check_checkpoint(update);
  return update;
}

void RunFollower::read_metrics(RunUpdate& update, Clock::time_point now) {
  const std::string path = folder_ + "/metrics.jsonl";
  // Non-blocking: a FIFO in its place does not hold the poll. The identity is the open file's,
  // so that a file replaced under the name between a stat and the open is not mixed up with it.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return;
  const auto id = file_identity(fd);
  if (!id) {
    ::close(fd);
    return;
  }
  // Another file (a new run truncates or replaces it), a shorter one, or one whose bytes
  // before where the last poll stopped have changed (a run resumed from an earlier checkpoint
  // cuts its log back and writes on, past the old end between two polls): start over.
  if (metrics_identity_ && (id->inode != metrics_identity_->inode || id->size < metrics_offset_ ||
                            !still_ends_with_seen_tail(fd))) {
    metrics_offset_ = 0;
    partial_line_.clear();
    seen_tail_.clear();
    last_step_ = 0;
    update.restarted = true;
  }
  metrics_identity_ = id;
  if (id->size <= metrics_offset_) {
    ::close(fd);
    return;
  }
  const size_t want =
      static_cast<size_t>(std::min<uint64_t>(id->size - metrics_offset_, kMaxReadPerPoll));
  std::string chunk(want, '\0');
  const ssize_t got = ::pread(fd, chunk.data(), want, static_cast<off_t>(metrics_offset_));
  ::close(fd);
  if (got <= 0) return;
  chunk.resize(static_cast<size_t>(got));
  metrics_offset_ += static_cast<uint64_t>(got);
  seen_tail_ += chunk;
  if (seen_tail_.size() > kSeenTail) seen_tail_.erase(0, seen_tail_.size() - kSeenTail);
  partial_line_ += chunk;
  size_t start = 0;
  bool told_retaken = false;
  for (size_t nl; (nl = partial_line_.find('\n', start)) != std::string::npos; start = nl + 1) {
    const std::string line = partial_line_.substr(start, nl - start);
    if (line.empty()) continue;
    if (auto m = parse_metrics_line(line)) {
      if (m->step <= last_step_ && !told_retaken) {
        update.problems.push_back(path + ": step " + std::to_string(m->step) + " follows step " +
                                  std::to_string(last_step_) +
                                  ": the curve goes on from it, as a run resumed from an earlier "
                                  "checkpoint takes its steps again");
        told_retaken = true;
      }
      last_step_ = m->step;
      update.metrics.push_back(*m);
    } else if (update.problems.size() < 3) {
      update.problems.push_back(path + ": skipped a line that is not a metrics record");
    }
  }
  partial_line_.erase(0, start);
  if (partial_line_.size() > kMaxLine) {  // not a metrics file: do not hold it in memory
    partial_line_.clear();
    update.problems.push_back(path + ": a line longer than 64 KiB was skipped");
  }
  if (!update.metrics.empty()) {
    if (last_progress_) {
      const double gap = std::chrono::duration<double>(now - *last_progress_).count();
      typical_gap_s_ = typical_gap_s_ == 0.0 ? gap : 0.8 * typical_gap_s_ + 0.2 * gap;
    }
    last_progress_ = now;
  }
}

bool RunFollower::still_ends_with_seen_tail(int fd) const {
  if (seen_tail_.empty()) return true;
  std::string now(seen_tail_.size(), '\0');
  const auto from = static_cast<off_t>(metrics_offset_ - seen_tail_.size());
  return ::pread(fd, now.data(), now.size(), from) == static_cast<ssize_t>(now.size()) &&
         now == seen_tail_;
}

void RunFollower::check_checkpoint(RunUpdate& update) {
  const std::string path = folder_ + "/last.safetensors";
  const auto id = file_identity(path);
  // Once its writer is gone the file cannot change: no need to wait for it to stay the same.
  const bool settled = id && ((checkpoint_seen_ && *id == *checkpoint_seen_) || writer_gone_);
  checkpoint_seen_ = id;
  if (!settled || (checkpoint_loaded_ && *id == *checkpoint_loaded_)) return;
  checkpoint_loaded_ = id;
  update.checkpoint = path;
  try {  // the header only: the recipe says how long the run is planned to be
    const auto info = read_checkpoint_info(path);
    if (info.train) total_steps_ = info.train->total_steps;
  } catch (const std::exception& e) {
    update.problems.push_back(one_line_error(e));
  }
}

double RunFollower::stall_after_seconds() const { return std::max(30.0, 5.0 * typical_gap_s_); }

double RunFollower::seconds_since_progress(Clock::time_point now) const {
  return last_progress_ ? std::chrono::duration<double>(now - *last_progress_).count() : 0.0;
}

FollowedRunState RunFollower::state(Clock::time_point now) const {
  if (!last_progress_) return FollowedRunState::Waiting;
  if (total_steps_ > 0 && last_step_ >= total_steps_) return FollowedRunState::Finished;
  if (writer_gone_) return FollowedRunState::Ended;
  return seconds_since_progress(now) > stall_after_seconds() ? FollowedRunState::Stalled
                                                             : FollowedRunState::Live;
}

FollowedRunStatus RunFollower::status(Clock::time_point now) const {
  return {state(now),
          last_step_,
          total_steps_,
          seconds_since_progress(now),
          stall_after_seconds(),
          writer_,
          reported_missing_};
}

}  // namespace mae
