// Why: ImGui 1.86 reads each key as held or not once a frame. A key pressed and released
// between two frames (a quick tap during a slow frame, or a remote desktop or xdotool sending
// both at once) was never seen pressed: arrow taps in Step-through were lost about half the
// time under xdotool while training ran, and a fast Ctrl+A before typing never selected. The
// window's key, character and mouse button events wait here instead, and each frame takes them
// in order up to the second change of any one key, as ImGui 1.87's input queue does; the rest
// go to the next frame. A click waits behind the typing before it, as it came.
#pragma once

#include <deque>
#include <vector>

namespace mae::studio {

enum class InputKind { KeyPress, KeyRepeat, KeyRelease, Char, MousePress, MouseRelease };

struct InputEvent {
  InputKind kind;
  int key = 0, scancode = 0, mods = 0;  // keys; a mouse event's button is its `key`
  unsigned codepoint = 0;               // characters
  float x = 0, y = 0;                   // mouse buttons: where the pointer was
};

class InputEventQueue {
 public:
  void push(const InputEvent& event) { waiting_.push_back(event); }
  bool empty() const { return waiting_.empty(); }

  // The events for the next frame, in arrival order. It stops before a press or release of a
  // key already pressed or released among them; before Ctrl, Shift, Alt or Super changes
  // after another key did (Ctrl let go just after A must not leave a plain A); and before a
  // character that follows the press of a key that edits text by itself (Backspace, an arrow,
  // Ctrl+A): a text field reads a frame's characters before its keys, so typing after it must
  // wait a frame to land after it. Repeats never stop it. A mouse button's press or release
  // has a frame to itself, after what came before it.
  //
  // While `typing` (a text field was active in the last frame), the letter, digit and
  // punctuation keys pressed without Ctrl, Alt or Super only bring their characters, so their
  // presses and releases stop nothing until a key that may end the typing comes: a word typed
  // during a slow frame goes in one frame, not one frame a letter, and a click after a typed
  // path finds the path whole.
  std::vector<InputEvent> take_for_frame(bool typing);

 private:
  // Whether `event`, taken now, is a key press or release that only types its character.
  bool only_types(const InputEvent& event) const;
  // Whether `event`, taken now, edits text without the character it types.
  bool edits_text(const InputEvent& event) const;
  void hold(const InputEvent& event);  // follows Ctrl, Alt and Super as events are taken

  std::deque<InputEvent> waiting_;
  std::vector<int> shortcut_modifiers_down_;
};

// Whether a text field was active in ImGui's last frame: the `typing` of the next one.
bool text_field_was_active();

}  // namespace mae::studio
