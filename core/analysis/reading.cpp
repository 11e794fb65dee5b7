// Why: the thresholds are the references measured in the same run on the same items, never
// fixed numbers, so the sentences hold for any data set and run length.
#include "analysis/reading.h"

#include <algorithm>
#include <cstdio>

namespace mae {

namespace {

std::string percent(double fraction) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f %%", 100 * fraction);
  return text;
}

std::string points(double fraction) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f points", 100 * fraction);
  return text;
}

std::string ratio_text(double ratio) {
  char text[16];
  std::snprintf(text, sizeof text, "%.2f", ratio);
  return text;
}

// Whether `a` is above `b` as they print: accuracies to a hundredth of a point, errors to four
// decimals, both steps of 1e-4. Below half a step (the float noise of two equal counts, or two
// errors that print alike) they tie.
bool beats(double a, double b) { return a - b >= 0.5e-4; }

template <typename Score>
const SweepRunResult& best_run(const std::vector<SweepRunResult>& runs, Score score) {
  return *std::max_element(runs.begin(), runs.end(),
                           [&](const auto& a, const auto& b) { return score(a) < score(b); });
}

}  // namespace

std::vector<std::string> probe_reading(const ProbeScores& encoder, const ProbeScores& pixels,
                                       const ProbeScores& random_encoder) {
  std::vector<std::string> lines;
  const double over_random = encoder.linear_accuracy - random_encoder.linear_accuracy;
  const double over_pixels = encoder.linear_accuracy - pixels.linear_accuracy;
  if (!beats(encoder.linear_accuracy, random_encoder.linear_accuracy)) {
    lines.push_back(
        "The encoder's linear probe is no better than a random encoder's of the same "
        "shape (" +
        percent(random_encoder.linear_accuracy) +
        "): its training has not yet added features a linear classifier can use.");
    return lines;
  }
  lines.push_back("Training added " + points(over_random) +
                  " of linear-probe accuracy over a random encoder of the same shape (" +
                  percent(random_encoder.linear_accuracy) + ").");
  if (beats(encoder.linear_accuracy, pixels.linear_accuracy))
    lines.push_back("The encoder's features are " + points(over_pixels) +
                    " better for a linear classifier than the raw pixels (" +
                    percent(pixels.linear_accuracy) + ").");
  else if (beats(pixels.linear_accuracy, encoder.linear_accuracy))
    lines.push_back("The raw pixels still do " + points(-over_pixels) +
                    " better with a linear classifier (" + percent(pixels.linear_accuracy) + ").");
  else
    lines.push_back(
        "The encoder's features and the raw pixels do equally well with a linear "
        "classifier (" +
        percent(pixels.linear_accuracy) + ").");
  return lines;
}

std::vector<std::string> sweep_reading(const SweepReport& report) {
  const auto& runs = report.runs;
  std::vector<std::string> lines;
  if (runs.empty()) return lines;
  const auto& linear = best_run(runs, [](const auto& r) { return r.linear_accuracy; });
  const double random = report.random_encoder.linear_accuracy;
  if (runs.size() > 1) {
    const auto& knn = best_run(runs, [](const auto& r) { return r.knn_accuracy; });
    const auto& shared = best_run(runs, [](const auto& r) { return -r.mse_at_075; });
    lines.push_back("Linear probe best at ratio " + ratio_text(linear.ratio) + " (" +
                    percent(linear.linear_accuracy) + "), k-NN at " + ratio_text(knn.ratio) + " (" +
                    percent(knn.knn_accuracy) + "); at the shared ratio 0.75 the model " +
                    "trained at " + ratio_text(shared.ratio) + " reconstructs best.");
    const bool rises =
        std::adjacent_find(runs.begin(), runs.end(), [](const auto& a, const auto& b) {
          return !beats(b.mse_own, a.mse_own);
        }) == runs.end();
    if (rises)
      lines.push_back(
          "Each model's error at its own ratio rises with the ratio: fewer visible "
          "patches leave more to infer.");
  }
  if (!beats(linear.linear_accuracy, random)) {
    lines.push_back("No encoder beats a random encoder of the same shape (" + percent(random) +
                    ") on the linear probe: at " + std::to_string(linear.steps) +
                    " steps per ratio, training has not yet added features a linear classifier "
                    "can use, so these runs cannot yet say which ratio learns the best ones. "
                    "More steps per ratio can.");
  } else if (!beats(linear.linear_accuracy, report.pixels.linear_accuracy)) {
    lines.push_back("The best encoder beats a random one (" + percent(random) +
                    ") but not the raw pixels (" + percent(report.pixels.linear_accuracy) +
                    ") on the linear probe.");
  } else {
    lines.push_back("The best encoder beats both a random one (" + percent(random) +
                    ") and the raw pixels (" + percent(report.pixels.linear_accuracy) +
                    ") on the linear probe.");
  }
  lines.emplace_back(
      "The paper (ViT-L, ImageNet, 800 epochs) finds 0.75 best for both fine-tuning "
      "and linear probing.");
  return lines;
}

}  // namespace mae
