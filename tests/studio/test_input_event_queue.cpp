// Why: ImGui 1.86 samples keys once a frame, so a key pressed and released between two frames
// was lost (about half of xdotool's arrow taps in Step-through), and typing right after a
// shortcut could land before it. These cases pin the queue that hands each frame at most one
// change per key and keeps characters after the keys pressed before them, alone and with the
// app reading the keys.
#include <doctest/doctest.h>
#include <imgui.h>

#include "delivered_mouse.h"
#include "input_event_queue.h"
#include "keys.h"
#include "studio_harness.h"

using namespace mae::studio;
using namespace mae::studio::testing;

namespace {
using keys::kLeftControl;

InputEvent press(int key) { return {InputKind::KeyPress, key}; }
InputEvent release(int key) { return {InputKind::KeyRelease, key}; }
InputEvent repeat(int key) { return {InputKind::KeyRepeat, key}; }
InputEvent typed(char c) { return {InputKind::Char, 0, 0, 0, static_cast<unsigned>(c)}; }
InputEvent mouse(InputKind kind, ImVec2 at) { return {kind, 0, 0, 0, 0, at.x, at.y}; }

// Each frame's events, written as "press 262" / "release 262" / "char a"; `typing`: a text
// field is active in every frame.
std::vector<std::vector<std::string>> frames_of(InputEventQueue& queue, bool typing = false) {
  std::vector<std::vector<std::string>> frames;
  while (!queue.empty()) {
    auto& frame = frames.emplace_back();
    for (const auto& e : queue.take_for_frame(typing)) {
      switch (e.kind) {
        case InputKind::KeyPress:
          frame.push_back("press " + std::to_string(e.key));
          break;
        case InputKind::KeyRepeat:
          frame.push_back("repeat " + std::to_string(e.key));
          break;
        case InputKind::KeyRelease:
          frame.push_back("release " + std::to_string(e.key));
          break;
        case InputKind::Char:
          frame.push_back(std::string("char ") + char(e.codepoint));
          break;
        case InputKind::MousePress:
          frame.push_back("mouse press " + std::to_string(e.key));
          break;
        case InputKind::MouseRelease:
          frame.push_back("mouse release " + std::to_string(e.key));
          break;
      }
    }
  }
  return frames;
}
using Frames = std::vector<std::vector<std::string>>;
}  // namespace

TEST_CASE("input events: a tap between two frames is a press in one frame, a release in the next") {
  InputEventQueue queue;
  queue.push({InputKind::KeyPress, keys::kRightArrow, 114, 0});
  queue.push({InputKind::KeyRelease, keys::kRightArrow, 114, 0});
  const auto first = queue.take_for_frame(false);
  REQUIRE(first.size() == 1);
  CHECK(first[0].scancode == 114);
  CHECK(frames_of(queue) == Frames{{"release 262"}});
  CHECK(queue.take_for_frame(false).empty());
  // A double tap takes four frames, and both presses are seen.
  for (int i = 0; i < 2; ++i) {
    queue.push(press(keys::kR));
    queue.push(release(keys::kR));
  }
  CHECK(frames_of(queue) == Frames{{"press 82"}, {"release 82"}, {"press 82"}, {"release 82"}});
}

TEST_CASE(
    "input events: Ctrl stays down for the key pressed with it, and repeats never hold back") {
  InputEventQueue queue;
  for (const auto& e :
       {press(kLeftControl), press(keys::kS), release(keys::kS), release(kLeftControl)})
    queue.push(e);
  CHECK(frames_of(queue) == Frames{{"press 341", "press 83"}, {"release 83"}, {"release 341"}});
  // Ctrl let go before A, as xdotool and quick fingers do: A is still seen with Ctrl held.
  for (const auto& e :
       {press(kLeftControl), press(keys::kA), release(kLeftControl), release(keys::kA)})
    queue.push(e);
  CHECK(frames_of(queue) == Frames{{"press 341", "press 65"}, {"release 341", "release 65"}});
  for (const auto& e : {press(keys::kLeftArrow), repeat(keys::kLeftArrow), repeat(keys::kLeftArrow),
                        release(keys::kLeftArrow)})
    queue.push(e);
  CHECK(frames_of(queue) == Frames{{"press 263", "repeat 263", "repeat 263"}, {"release 263"}});
}

TEST_CASE("input events: characters typed after a key that edits text wait for the next frame") {
  InputEventQueue queue;
  // "ab", Backspace, "c": the field reads characters before keys, so "c" waits.
  for (const auto& e :
       {typed('a'), typed('b'), press(keys::kBackspace), release(keys::kBackspace), typed('c')})
    queue.push(e);
  CHECK(frames_of(queue) == Frames{{"char a", "char b", "press 259"}, {"release 259", "char c"}});
  // Ctrl+A, then a path typed over the selection.
  for (const auto& e : {press(kLeftControl), press(keys::kA), release(keys::kA),
                        release(kLeftControl), typed('r'), typed('u')})
    queue.push(e);
  CHECK(frames_of(queue) ==
        Frames{{"press 341", "press 65"}, {"release 65"}, {"release 341", "char r", "char u"}});
}

TEST_CASE("input events: letters typed into a field go in one frame, as xdotool types them") {
  InputEventQueue queue;
  // "sx", each letter's press, its character and its release. Outside a field each key's
  // press and release are kept apart, for the shortcuts that read them.
  const auto sx = {press(keys::kS), typed('s'), release(keys::kS),
                   press(keys::kX), typed('x'), release(keys::kX)};
  for (const auto& e : sx) queue.push(e);
  CHECK(frames_of(queue) ==
        Frames{{"press 83", "char s"}, {"release 83", "press 88", "char x"}, {"release 88"}});
  // In a field the letters only bring their characters: one frame, where under load one
  // frame a letter left a typed path half-entered when the click after it landed.
  for (const auto& e : sx) queue.push(e);
  CHECK(frames_of(queue, /*typing=*/true) ==
        Frames{{"press 83", "char s", "release 83", "press 88", "char x", "release 88"}});
  // A capital waits only for Shift's release, as a modifier pressed twice in a frame would.
  for (const auto& e : {press(keys::kS), typed('s'), release(keys::kS), press(keys::kLeftShift),
                        press(keys::kS), typed('S'), release(keys::kS), release(keys::kLeftShift)})
    queue.push(e);
  CHECK(frames_of(queue, true) == Frames{{"press 83", "char s", "release 83", "press 340",
                                          "press 83", "char S", "release 83"},
                                         {"release 340"}});
  // Backspace still goes before the letters typed after it.
  for (const auto& e : {press(keys::kS), typed('s'), release(keys::kS), press(keys::kBackspace),
                        release(keys::kBackspace), press(keys::kX), typed('x'), release(keys::kX)})
    queue.push(e);
  CHECK(frames_of(queue, true) == Frames{{"press 83", "char s", "release 83", "press 259"},
                                         {"release 259", "press 88", "char x", "release 88"}});
  // After Enter, which may end the typing, a letter's press and release are kept apart again,
  // for a shortcut.
  for (const auto& e : {press(keys::kEnter), press(keys::kR), release(keys::kR)}) queue.push(e);
  CHECK(frames_of(queue, true) == Frames{{"press 257", "press 82"}, {"release 82"}});
  // A letter pressed with Ctrl edits by itself, even when Ctrl went down before the window
  // had focus and only the event's mods tell.
  queue.push({InputKind::KeyPress, keys::kA, 0, /*GLFW_MOD_CONTROL*/ 0x2});
  queue.push(typed('r'));
  CHECK(frames_of(queue, true) == Frames{{"press 65"}, {"char r"}});
}

TEST_CASE("input events: a click waits behind the typing before it and has frames of its own") {
  InputEventQueue queue;
  for (const auto& e :
       {press(keys::kS), typed('s'), release(keys::kS), mouse(InputKind::MousePress, {5, 6}),
        mouse(InputKind::MouseRelease, {5, 6}), press(keys::kX), typed('x'), release(keys::kX)})
    queue.push(e);
  CHECK(frames_of(queue, true) == Frames{{"press 83", "char s", "release 83"},
                                         {"mouse press 0"},
                                         {"mouse release 0"},
                                         {"press 88", "char x", "release 88"}});
  // Handed over in frames of their own, a press and its release are a click where the button
  // went down, wherever the pointer went after.
  DeliveredMouseButtons buttons;
  ImGuiIO io;
  buttons.take(mouse(InputKind::MousePress, {5, 6}));
  buttons.take(mouse(InputKind::MouseRelease, {5, 6}));
  io.MousePos = ImVec2(300, 300);
  buttons.apply(io);
  CHECK(io.MouseDown[0]);
  CHECK(io.MousePos.x == 5);
  io.MousePos = ImVec2(300, 300);
  buttons.apply(io);
  CHECK_FALSE(io.MouseDown[0]);
  CHECK(io.MousePos.x == 300);
}

TEST_CASE("input events: arrow keys tapped between frames step Step-through each time") {
  LaunchedApp launched("mae-studio-test-input-events");
  auto& [dir, ui, renderer, app] = launched;
  auto& s = app.state();
  app.show_step_through(true);
  REQUIRE(frames_until(ui, app,
                       [&] { return s.explorer.result && !s.explorer.result->stages.empty(); }));
  ImGui::SetWindowFocus("Step-through");
  ui.frame(app);
  REQUIRE(s.step_through.stage == 0);
  // Straight to ImGui, as its own callback did, a tap between frames is never seen.
  ImGui::GetIO().KeysDown[keys::kRightArrow] = true;
  ImGui::GetIO().KeysDown[keys::kRightArrow] = false;
  ui.frame(app);
  CHECK(s.step_through.stage == 0);
  // Through the queue, as the window's loop does: frames run while events wait.
  InputEventQueue queue;
  auto tap = [&](int key) {
    queue.push(press(key));
    queue.push(release(key));
    while (!queue.empty()) {
      for (const auto& e : queue.take_for_frame(text_field_was_active()))
        ImGui::GetIO().KeysDown[e.key] = e.kind == InputKind::KeyPress;
      ui.frame(app);
    }
  };
  for (int taps = 1; taps <= 3; ++taps) {
    tap(keys::kRightArrow);
    CHECK(s.step_through.stage == taps);
  }
  tap(keys::kLeftArrow);
  CHECK(s.step_through.stage == 2);
}

TEST_CASE("input events: typing, Backspace and Ctrl+A between two frames edit a field in order") {
  LaunchedApp launched("mae-studio-test-typing");
  auto& [dir, ui, renderer, app] = launched;
  auto& s = app.state();
  ui.click(app, ui.find_item(app, "Training", "save to"));
  // Each frame's events reach ImGui as its callbacks would pass them on.
  InputEventQueue queue;
  DeliveredMouseButtons buttons;
  auto deliver = [&](const std::vector<InputEvent>& events) {
    for (const auto& e : events) queue.push(e);
    int frames = 0;
    for (; !queue.empty(); ++frames) {
      for (const auto& e : queue.take_for_frame(text_field_was_active())) {
        auto& io = ImGui::GetIO();
        if (e.kind == InputKind::MousePress || e.kind == InputKind::MouseRelease) buttons.take(e);
        if (e.kind == InputKind::Char) io.AddInputCharacter(e.codepoint);
        if (e.kind == InputKind::KeyPress || e.kind == InputKind::KeyRelease)
          io.KeysDown[e.key] = e.kind == InputKind::KeyPress;
        io.KeyCtrl = io.KeysDown[kLeftControl];
      }
      buttons.apply(ImGui::GetIO());
      ui.frame(app);
    }
    return frames;
  };
  deliver({press(kLeftControl), press(keys::kA), release(keys::kA), release(kLeftControl),
           typed('r'), typed('u'), typed('n'), typed('x'), press(keys::kBackspace),
           release(keys::kBackspace), typed('s')});
  ui.frame(app);
  CHECK(std::string(s.form.save_path) == "runs");
  // A word typed as xdotool types it, a press, the character and a release a letter, goes
  // into the field in one frame.
  auto typed_as_xdotool = [](const std::string& text) {
    std::vector<InputEvent> events{press(kLeftControl), press(keys::kA), release(keys::kA),
                                   release(kLeftControl)};
    for (const char c : text) {
      const int key = c - 'a' + 'A';
      events.insert(events.end(), {press(key), typed(c), release(key)});
    }
    return events;
  };
  deliver(typed_as_xdotool("photos"));
  ui.frame(app);
  CHECK(std::string(s.form.save_path) == "photos");
  CHECK(deliver(typed_as_xdotool("bc")) == 3);  // Ctrl+A's frames, then the word's one
  CHECK(std::string(s.form.save_path) == "bc");
  // Typed again with a click elsewhere at once: the click ends the typing after the last
  // letter, not before it, and lands.
  auto events = typed_as_xdotool("images");
  const auto checkbox = ui.find_item(app, "Training", "norm_pix_loss", 0.1f);
  events.push_back(mouse(InputKind::MousePress, checkbox));
  events.push_back(mouse(InputKind::MouseRelease, checkbox));
  REQUIRE_FALSE(s.form.norm_pix);
  deliver(events);
  ui.frame(app);
  CHECK(std::string(s.form.save_path) == "images");
  CHECK(s.form.norm_pix);
  CHECK_FALSE(text_field_was_active());
}
