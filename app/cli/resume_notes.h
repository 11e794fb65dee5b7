// Why: a resumed run may go on unlike the run saved (another device, precision, CUDA graphs,
// crops, total steps); each difference is said in a line, so that nothing about the run
// changes silently.
#pragma once

#include <cstdint>
#include <string>

#include "recipe/train_config.h"

namespace mae::cli {

// One line for each way the resumed run goes on unlike the run saved, where it matters on the
// device it goes on on (several ranks never capture a step).
void note_resumed_differently(const std::string& last, const TrainConfig& saved,
                              const TrainConfig& now, int world);

// A new total for a resumed run moves the end of its lr schedule, as the authors' --epochs
// does: the lr at the resume point jumps, which is said. A total it has already reached
// would train nothing, and is refused (std::runtime_error) rather than saved again as if it
// had; a finished run resumed as it is says how to go on.
void check_total_steps(const std::string& last, const TrainConfig& saved, int64_t step,
                       int64_t steps, bool writes);

}  // namespace mae::cli
