// Why: the one-change-per-key-per-frame rule, kept apart from GLFW so tests can drive it.
#include "input_event_queue.h"

#include <algorithm>

#include "keys.h"

namespace mae::studio {

std::vector<InputEvent> InputEventQueue::take_for_frame() {
  std::vector<InputEvent> frame;
  std::vector<int> changed;
  bool key_pressed = false, other_than_modifier_changed = false;
  while (!waiting_.empty()) {
    const InputEvent& next = waiting_.front();
    if (next.kind == InputKind::Char && key_pressed) break;
    if (next.kind == InputKind::KeyPress || next.kind == InputKind::KeyRelease) {
      if (std::find(changed.begin(), changed.end(), next.key) != changed.end()) break;
      if (keys::is_modifier(next.key) && other_than_modifier_changed) break;
      changed.push_back(next.key);
      key_pressed = key_pressed || next.kind == InputKind::KeyPress;
      other_than_modifier_changed = other_than_modifier_changed || !keys::is_modifier(next.key);
    }
    frame.push_back(next);
    waiting_.pop_front();
  }
  return frame;
}

}  // namespace mae::studio
