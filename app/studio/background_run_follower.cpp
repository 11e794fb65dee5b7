// Why: RunFollower reads and parses on this thread; the UI thread only takes the result under
// a lock held for a move, so a long history never costs it a frame.
#include "background_run_follower.h"

#include <iterator>
#include <utility>

namespace mae::studio {

BackgroundRunFollower::BackgroundRunFollower(std::string folder, std::chrono::milliseconds every)
    : folder_(std::move(folder)),
      every_(every),
      thread_([this](std::stop_token stop) { poll_until_stopped(stop); }) {}

void BackgroundRunFollower::poll_until_stopped(std::stop_token stop) {
  RunFollower follower(folder_);
  while (!stop.stop_requested()) {
    const auto now = RunFollower::Clock::now();
    auto update = follower.poll(now);
    auto status = follower.status(now);
    std::unique_lock lock(mutex_);
    if (update.restarted) {
      pending_.metrics.clear();
      pending_.restarted = true;
    }
    pending_.metrics.insert(pending_.metrics.end(), std::make_move_iterator(update.metrics.begin()),
                            std::make_move_iterator(update.metrics.end()));
    if (update.checkpoint) pending_.checkpoint = std::move(update.checkpoint);
    for (auto& p : update.problems) pending_.problems.push_back(std::move(p));
    status_ = std::move(status);
    stop_wait_.wait_for(lock, stop, every_, [] { return false; });
  }
}

RunUpdate BackgroundRunFollower::take() {
  std::lock_guard lock(mutex_);
  return std::exchange(pending_, RunUpdate{});
}

FollowedRunStatus BackgroundRunFollower::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

}  // namespace mae::studio
