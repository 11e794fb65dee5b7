// Why: the Curves panel and the Experiments window's loss plot both show a run's steps, and a
// user who has learnt to zoom one (drag across steps, the wheel about the pointer, a double
// click back to every step) expects the other to answer the same way.
#pragma once

#include <imgui.h>

#include <optional>

#include "app_state.h"

namespace mae::studio {

// How the pointer met a plot this frame, read from the invisible button laid over it (the
// last item), before anything else is laid out.
struct PlotPointer {
  bool hovered = false, active = false, released = false;
};
PlotPointer last_item_pointer();

// The steps a plot shows: every step in `whole`, or the zoom, which where it follows the newest
// step has moved with it, as wide as it was.
StepSpan shown_span(const std::optional<StepSpan>& zoom, StepSpan whole);

// Steers `zoom` from the pointer over the plot at [p0, p0 + size], which shows steps `shown` of
// `whole`: dragging across it zooms to the steps dragged over (shaded while dragged), the wheel
// zooms about the pointer, a double click shows every step again. No zoom is narrower than four
// steps; one that takes in the newest step follows the run as it trains.
void steer_step_zoom(std::optional<StepSpan>& zoom, PlotPointer pointer, ImDrawList* dl, ImVec2 p0,
                     ImVec2 size, StepSpan shown, StepSpan whole);

}  // namespace mae::studio
