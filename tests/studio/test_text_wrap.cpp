// Why: a wrapped line must never split a number or a file's name (ImGui's own wrap put
// "loss 4." and "7686" on two lines); this pins where lines may end, one character one unit.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "text_wrap.h"

using mae::studio::wrap_text;

namespace {
std::string wrap(std::string_view text, float width) {
  return wrap_text(text, width, [](std::string_view piece) { return float(piece.size()); });
}
}  // namespace

TEST_CASE("text wraps at spaces, never inside a number") {
  CHECK(wrap("images from fashion-mnist   loss 4.7686", 30) ==
        "images from fashion-mnist\nloss 4.7686");
  CHECK(wrap("base lr 3.0e-03 (peak 1.9e-01), 1 steps", 24) ==
        "base lr 3.0e-03 (peak\n1.9e-01), 1 steps");
  CHECK(wrap("fits on one line", 40) == "fits on one line");
  CHECK(wrap("", 10).empty());
}

TEST_CASE("a long path breaks after a '/', and a word wider than the line anywhere") {
  CHECK(wrap("source /work/main/assets/fmnist-tiny.safetensors", 30) ==
        "source /work/main/assets/\nfmnist-tiny.safetensors");
  CHECK(wrap("abcdefghij", 4) == "abcd\nefgh\nij");
}

TEST_CASE("a character of several UTF-8 bytes is measured and kept whole") {
  // Each character one unit, whatever its bytes: "café" is 4 wide.
  const auto wrap_chars = [](std::string_view text, float width) {
    return wrap_text(text, width, [](std::string_view) { return 1.0f; });
  };
  CHECK(wrap_chars("caf\xc3\xa9 na\xc3\xafve", 10) == "caf\xc3\xa9 na\xc3\xafve");
  CHECK(wrap_chars("caf\xc3\xa9 na\xc3\xafve", 6) == "caf\xc3\xa9\nna\xc3\xafve");
}

TEST_CASE("line breaks in the text stay, empty lines included") {
  CHECK(wrap("one\n\ntwo three", 5) == "one\n\ntwo\nthree");
  CHECK(wrap("end\n", 10) == "end\n");
}
