// Why: ImGui 1.86 indexes keys by the backend's codes. These are GLFW's values, spelled
// here so the UI logic needs no GLFW header and tests can press keys headless.
#pragma once

namespace mae::studio::keys {
constexpr int kSpace = 32;
constexpr int kA = 'A';
constexpr int kC = 'C';
constexpr int kO = 'O';
constexpr int kR = 'R';
constexpr int kS = 'S';
constexpr int kV = 'V';
constexpr int kX = 'X';
constexpr int kY = 'Y';
constexpr int kZ = 'Z';
constexpr int kF1 = 290;
constexpr int kEscape = 256;
constexpr int kEnter = 257;
constexpr int kTab = 258;
constexpr int kBackspace = 259;
constexpr int kDelete = 261;
constexpr int kRightArrow = 262;
constexpr int kLeftArrow = 263;
constexpr int kDownArrow = 264;
constexpr int kUpArrow = 265;
constexpr int kPageUp = 266;
constexpr int kPageDown = 267;
constexpr int kHome = 268;
constexpr int kEnd = 269;
constexpr int kLeftShift = 340;
constexpr int kLeftControl = 341;
constexpr int kRightShift = 344;
constexpr int kRightSuper = 347;  // the modifiers are 340 to 347: shift, control, alt, super
constexpr int kModShortcuts = 0x2 | 0x4 | 0x8;  // GLFW's mods bits for control, alt and super
constexpr bool is_modifier(int key) { return key >= kLeftShift && key <= kRightSuper; }
constexpr bool is_shift(int key) { return key == kLeftShift || key == kRightShift; }
// Letters, digits, punctuation and space: GLFW numbers the keys that type text below 256.
constexpr bool is_printable(int key) { return key >= kSpace && key < kEscape; }
}  // namespace mae::studio::keys
