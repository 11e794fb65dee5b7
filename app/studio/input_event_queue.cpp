// Why: the one-change-per-key-per-frame rule, kept apart from GLFW so tests can drive it.
#include "input_event_queue.h"

#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>

#include "keys.h"

namespace mae::studio {

bool InputEventQueue::only_types(const InputEvent& event) const {
  return keys::is_printable(event.key) && (event.mods & keys::kModShortcuts) == 0 &&
         shortcut_modifiers_down_.empty();
}

bool InputEventQueue::edits_text(const InputEvent& event) const {
  return event.kind == InputKind::KeyPress && !keys::is_modifier(event.key) && !only_types(event);
}

void InputEventQueue::hold(const InputEvent& event) {
  if (!keys::is_modifier(event.key) || keys::is_shift(event.key)) return;
  auto& down = shortcut_modifiers_down_;
  std::erase(down, event.key);
  if (event.kind != InputKind::KeyRelease) down.push_back(event.key);
}

std::vector<InputEvent> InputEventQueue::take_for_frame(bool typing) {
  std::vector<InputEvent> frame;
  std::vector<int> changed;
  bool text_edited = false, other_than_modifier_changed = false;
  while (!waiting_.empty()) {
    const InputEvent& next = waiting_.front();
    if (next.kind == InputKind::MousePress || next.kind == InputKind::MouseRelease) {
      if (frame.empty()) {
        frame.push_back(next);
        waiting_.pop_front();
      }
      break;
    }
    if (next.kind == InputKind::Char && text_edited) break;
    const bool changes_key = next.kind == InputKind::KeyPress || next.kind == InputKind::KeyRelease;
    if (changes_key && !(typing && !text_edited && only_types(next))) {
      if (std::find(changed.begin(), changed.end(), next.key) != changed.end()) break;
      if (keys::is_modifier(next.key) && other_than_modifier_changed) break;
      changed.push_back(next.key);
      text_edited = text_edited || edits_text(next);
      other_than_modifier_changed = other_than_modifier_changed || !keys::is_modifier(next.key);
      hold(next);
    }
    frame.push_back(next);
    waiting_.pop_front();
  }
  return frame;
}

bool text_field_was_active() {
  // An active text field asks for text input for the next frame, every frame it is drawn.
  return ImGui::GetCurrentContext()->WantTextInputNextFrame == 1;
}

}  // namespace mae::studio
