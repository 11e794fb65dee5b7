// Why: a watched run that ended before its last step can go on from its checkpoint, but how
// depends on what wrote it: a sweep's ratio goes on only when the sweep is run again, where
// a run of mae train or of a window goes on by --resume or Continue. The Training panel says
// the way that works for the run on screen.
#pragma once

#include <string>

#include "app_state.h"

namespace mae::studio {

// "run the sweep into runs/sweep again (...)", "mae train --out runs/a --resume, or ...".
std::string how_to_go_on(const RunWatchState& watched);

}  // namespace mae::studio
