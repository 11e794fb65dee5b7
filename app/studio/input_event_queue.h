// Why: ImGui 1.86 reads each key as held or not once a frame. A key pressed and released
// between two frames (a quick tap during a slow frame, or a remote desktop or xdotool sending
// both at once) was never seen pressed: arrow taps in Step-through were lost about half the
// time under xdotool while training ran, and a fast Ctrl+A before typing never selected. The
// window's key and character events wait here instead, and each frame takes them in order up
// to the second change of any one key, as ImGui 1.87's input queue does; the rest go to the
// next frame.
#pragma once

#include <deque>
#include <vector>

namespace mae::studio {

enum class InputKind { KeyPress, KeyRepeat, KeyRelease, Char };

struct InputEvent {
  InputKind kind;
  int key = 0, scancode = 0, mods = 0;  // keys
  unsigned codepoint = 0;               // characters
};

class InputEventQueue {
 public:
  void push(const InputEvent& event) { waiting_.push_back(event); }
  bool empty() const { return waiting_.empty(); }

  // The events for the next frame, in arrival order. It stops before a press or release of a
  // key already pressed or released among them; before Ctrl, Shift, Alt or Super changes
  // after another key did (Ctrl let go just after A must not leave a plain A); and before a
  // character that follows a key press among them: a text field reads a frame's characters
  // before its keys, so typing after Ctrl+A or Backspace must wait a frame to land after it.
  // Repeats never stop it.
  std::vector<InputEvent> take_for_frame();

 private:
  std::deque<InputEvent> waiting_;
};

}  // namespace mae::studio
