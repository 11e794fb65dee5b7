// Why: the app measures itself: per-frame CPU time, split into frames while training runs
// and frames while it is idle, reported as p50/p99 so "the UI never stutters" is a number.
#pragma once

#include <string>
#include <vector>

namespace mae::studio {

struct FrameStats {
  std::vector<double> idle_ms, training_ms;
  void add(double ms, bool training) { (training ? training_ms : idle_ms).push_back(ms); }
  std::string to_json() const;
};

double percentile(std::vector<double> values, double p);

}  // namespace mae::studio
