// Why: one function per panel (each in its own file); they read and change AppState
// through StudioApp and never touch threads, GL or files directly.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/masking.h"

namespace mae {
struct FollowedRunStatus;
struct MaeConfig;
}  // namespace mae

namespace mae::studio {

class StudioApp;
struct AppState;
struct CurveState;
struct ExperimentsState;
struct StepSpan;
struct SweepRunCurve;
struct ImageView;
struct ViewStyle;

void draw_training_panel(StudioApp& app);
void draw_triplets_panel(StudioApp& app);
void draw_curves_panel(StudioApp& app);
void draw_explorer_panel(StudioApp& app);
void draw_checkpoint_panel(StudioApp& app);
void draw_status_bar(StudioApp& app);
void draw_help_window(StudioApp& app);
void draw_file_browser(StudioApp& app);
void draw_close_dialog(StudioApp& app);
void draw_step_through_window(StudioApp& app);
void draw_compare_window(StudioApp& app);
void draw_experiments_window(StudioApp& app);
void draw_probe_window(StudioApp& app);

// The Compare window's line under B, for models of configs `a` and `b`: whether they share the
// mask, and whether their masked-patch MSEs share a space (else the removed-pixel MSEs compare).
std::string compare_note(const MaeConfig& a, const MaeConfig& b);

// "run 1: ratio 0.90": an earlier run's name and how its recipe differed from the current's,
// for the Curves panel's legend and its exported picture.
std::string earlier_run_label(const CurveState& earlier, const CurveState& current);

// The steps the Curves panel shows, and its exported picture: its zoom, or every step of the
// current run and of the earlier ones kept beside it (one step widened to two).
StepSpan shown_steps(const AppState& s);

// The steps the Experiments window's loss plot shows, and its exported picture: its zoom, or
// every step of the sweep's runs; none before a run has a step.
std::optional<StepSpan> sweep_shown_steps(const ExperimentsState& x);

// The colour of the i-th of n ratios, lowest to highest: blue, green, orange, red, and blends
// between them for more ratios, so that order reads as well as difference (RGB in [0, 1]).
std::array<float, 3> sweep_ratio_colour(size_t i, size_t n);

// What the Experiments window's loss plot says under the pointer, for steps [first, last] (a
// pixel column): each ratio's smoothed loss at the first of them, as far as its run reached.
std::string sweep_curves_readout(const std::vector<SweepRunCurve>& curves, double first,
                                 double last);

// A watched run's progress, "40 / 600  ETA 3m21s": the time left while it is live, from its
// own step times (its metrics' step_ms, as the app's own run counts its time left).
std::string watched_run_progress(const FollowedRunStatus& run, const AppState& s);

// The five panels that tile the window.
enum class Panel { Training, Checkpoint, Triplets, Curves, Explorer };

// Begins a panel: placed at its default rectangle (fractions of the viewport above the
// status bar) on first use, after Reset layout (which also opens it if collapsed), and
// whenever the saved arrangement does not fit the window (the app opened smaller); when
// the window is resized the panels keep their arrangement, scaled. Panels are opaque and stay
// beneath the floating windows even when clicked, so that a window a button opened is never hidden
// behind the panel that has the button. False when collapsed, and then it has already been ended.
bool begin_panel(StudioApp& app, Panel panel, const char* title);

// The status bar's height, which the panels leave free.
float status_bar_height();
// The status bar's window.
inline constexpr const char* kStatusBarWindow = "##status";
// Puts the status bar above the panels and floating windows, once a frame's windows are all
// drawn: a window dragged over it hid its Reset layout, the button that puts everything back.
void keep_status_bar_on_top();

// Begins a window that floats over the panels (opaque, placed at fractions of the display
// on first use and after Reset layout, and scaled with the app's window when that is
// resized); false when it is collapsed, and then it has already been ended.
bool begin_floating_window(StudioApp& app, const char* title, bool* open, float x, float y,
                           float width, float height);

// "loss 0.4321", or "loss n/a" at step 0, where no step has measured one (a run's first
// snapshot, the authors' weights, any file saved before training).
std::string loss_text(int64_t step, double loss);

// Before an item labelled `next_label`: stays on the line when the item fits there, else lets
// it start the next line, so that a row of buttons or checkboxes wraps instead of being cut
// off at the panel's edge.
enum class RowItem { Button, Checkbox, Text };
void same_line_if_fits(const char* next_label, RowItem kind = RowItem::Button);

// A caption over a picture `width` wide: `full` where it fits on one line, else `brief`, so
// that captions side by side keep their pictures level; `brief` wraps where even it is wider.
void caption(const char* full, const char* brief, float width);

// ImGui::TextWrapped's text, wrapped at spaces and a path's '/' only, never inside a number
// (text_wrap.h says why).
[[gnu::format(printf, 1, 2)]] void text_wrapped(const char* format, ...);

// A table column that stretches by the widest of its header and `widest`, the longest text its
// cells hold: ImGui weighs columns by what it measured a frame late, so a table's first frame
// split them evenly and cut its labels to a few letters until the next one.
void stretch_column(const char* header, const char* widest);

// The colour of text that says why something cannot go on (a refused Start, a failed job).
void push_problem_colour();
// Why the last start of a job failed, or the job ended early, in the problem colour under its
// button, where the user looks; nothing when `problem` is empty.
void problem_line(const std::string& problem);

// While a sweep or probe shares the CPU with other work, a line saying how: the user then
// knows why it runs slower than alone.
void cpu_share_note(const StudioApp& app);

// The loss curves' smoothing weight as a slider (it sets every curve's, the Curves panel's and
// Experiments' alike), `width` wide.
void smoothing_slider(StudioApp& app, float width);

// The mask-strategy combo; true when the user changed it.
bool strategy_combo(const char* label, MaskStrategy* strategy);

// An image view drawn at `size` with a right-click menu to export it; returns the hovered
// pixel position inside the view in [0,1]^2, or (-1,-1).
struct ImVec2Pair {
  float x, y;
};
ImVec2Pair draw_view(StudioApp& app, const ImageView& view, const ViewStyle& style, float width,
                     const char* export_name);

}  // namespace mae::studio
