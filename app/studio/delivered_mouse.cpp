// Why: the buttons' state as the input queue delivers it, apart from GLFW so tests can use it.
#include "delivered_mouse.h"

namespace mae::studio {

void DeliveredMouseButtons::take(const InputEvent& event) {
  if (event.key < 0 || event.key >= ImGuiMouseButton_COUNT) return;  // GLFW has 8 buttons
  const bool press = event.kind == InputKind::MousePress;
  down_[event.key] = press;
  if (!press) return;
  pressed_[event.key] = true;
  pressed_at_ = ImVec2(event.x, event.y);
}

void DeliveredMouseButtons::apply(ImGuiIO& io) {
  for (int i = 0; i < ImGuiMouseButton_COUNT; ++i) {
    io.MouseDown[i] = pressed_[i] || down_[i];
    pressed_[i] = false;
  }
  if (pressed_at_) io.MousePos = *pressed_at_;
  pressed_at_.reset();
}

}  // namespace mae::studio
