// Why: a long run's metrics.jsonl is large (a 250k-step run writes about 50 MB) and reading it
// parses tens of thousands of lines a poll: on the UI thread that held frames for 200 ms while
// a watched run's history came in. The folder is polled twice a second on a thread of its own,
// and the UI thread takes what was found.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

#include "train/run_follower.h"

namespace mae::studio {

class BackgroundRunFollower {
 public:
  // Starts polling `folder` at once, then every `every`.
  explicit BackgroundRunFollower(std::string folder,
                                 std::chrono::milliseconds every = std::chrono::milliseconds(500));
  BackgroundRunFollower(const BackgroundRunFollower&) = delete;
  BackgroundRunFollower& operator=(const BackgroundRunFollower&) = delete;

  const std::string& folder() const { return folder_; }
  // What the polls found since the last take, as one update: the metrics in order (those
  // before a restart are dropped, and `restarted` says so), the newest checkpoint, every
  // problem.
  RunUpdate take();
  FollowedRunStatus status() const;

 private:
  void poll_until_stopped(std::stop_token stop);

  const std::string folder_;
  const std::chrono::milliseconds every_;
  mutable std::mutex mutex_;
  std::condition_variable_any stop_wait_;  // the wait between polls, ended by a stop
  RunUpdate pending_;
  FollowedRunStatus status_;
  // Last: started once the rest is made; stopped and joined (a poll under way ends first)
  // before the rest goes.
  std::jthread thread_;
};

}  // namespace mae::studio
