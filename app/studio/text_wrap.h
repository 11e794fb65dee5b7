// Why: ImGui's word wrap may break a line after any '.', ',' or ';', which splits numbers and
// file names ("loss 4." over "7686", "peak 1." over "9e-01"): a reader takes the halves for
// two values. Our text breaks at spaces, a long path after a '/', and only a word wider than
// the whole line anywhere.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace mae::studio {

// `text` with line breaks put in so that no line is wider than `width`, as `measure` gives the
// width of each character (one UTF-8 sequence). A space where a line is broken is dropped;
// '\n' starts a new line.
std::string wrap_text(std::string_view text, float width,
                      const std::function<float(std::string_view)>& measure);

}  // namespace mae::studio
