// Why: a probe's or a sweep's table of accuracies and errors does not say what it means, and
// a newcomer reads a short run's figures as the paper's finding. These sentences say what the
// figures show and what they cannot show yet (an encoder no better than a random one has
// learned nothing a linear classifier can use), for `mae probe`, `mae sweep` and the app.
#pragma once

#include <string>
#include <vector>

#include "analysis/linear_probe.h"
#include "analysis/ratio_sweep.h"

namespace mae {

// The encoder's probes against a random encoder of the same shape and against raw pixels.
std::vector<std::string> probe_reading(const ProbeScores& encoder, const ProbeScores& pixels,
                                       const ProbeScores& random_encoder);

// Which ratio's model probes and reconstructs best, whether the runs learned enough to say,
// and the paper's finding beside it. Nothing for a sweep without runs.
std::vector<std::string> sweep_reading(const SweepReport& report);

}  // namespace mae
