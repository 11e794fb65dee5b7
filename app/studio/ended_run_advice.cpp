// Why: the advice for an ended run, from the writer its folder's lock names, kept apart from
// the panel so that each writer's advice can be checked.
#include "ended_run_advice.h"

#include <filesystem>

#include "util/folder_lock.h"

namespace mae::studio {

std::string how_to_go_on(const RunWatchState& watched) {
  const auto& writer = watched.run.writer;
  if (writer.rfind(kSweepWriter, 0) == 0) {
    const auto sweep = std::filesystem::path(watched.folder).parent_path().string();
    return "run the sweep into " + sweep + " again (Experiments, or mae sweep --out " + sweep +
           "): each ratio goes on from its save";
  }
  const auto resume = "mae train --out " + watched.folder + " --resume";
  if (writer.rfind(kTrainWriter, 0) == 0) return resume + ", or open it and Continue";
  return "open it and Continue, or " + resume;
}

}  // namespace mae::studio
