// Why: ImGui 1.86's GLFW backend reads the mouse buttons and the pointer afresh each frame, so
// a click went ahead of the keys and characters still waiting their turn: a path typed during
// a slow frame lost its last letters to the click after it. The buttons' events wait in the
// input queue with the keys; this holds the buttons as the queue has handed them over and
// gives them to ImGui in place of what the backend read.
#pragma once

#include <imgui.h>

#include <array>
#include <optional>

#include "input_event_queue.h"

namespace mae::studio {

class DeliveredMouseButtons {
 public:
  // A MousePress or MouseRelease the queue handed to this frame.
  void take(const InputEvent& event);
  // After the backend's NewFrame: the buttons as delivered, held down for a frame when
  // pressed and let go at once, and a press's frame seeing the pointer where it was pressed.
  void apply(ImGuiIO& io);

 private:
  std::array<bool, ImGuiMouseButton_COUNT> down_{}, pressed_{};
  std::optional<ImVec2> pressed_at_;
};

}  // namespace mae::studio
