// Why: percentiles are taken from a sorted copy when a report is asked for, so recording a frame
// stays one push.
#include "frame_stats.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace mae::studio {

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<size_t>(p / 100.0 * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

std::string FrameStats::to_json() const {
  auto summary = [](const std::vector<double>& v) {
    return nlohmann::json{{"frames", v.size()},
                          {"p50_ms", percentile(v, 50)},
                          {"p99_ms", percentile(v, 99)},
                          {"max_ms", v.empty() ? 0.0 : *std::max_element(v.begin(), v.end())}};
  };
  return nlohmann::json{{"idle", summary(idle_ms)}, {"training", summary(training_ms)}}.dump(2);
}

}  // namespace mae::studio
