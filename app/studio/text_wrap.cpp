// Why: greedy, one line at a time: the line grows while it fits, and where it would not, it
// ends at the last place it may break. Widths are summed one character (one UTF-8 sequence)
// at a time, so a text is measured about once, however many lines it makes: the messages panel
// wraps up to 200 of them every frame.
#include "text_wrap.h"

#include <algorithm>

namespace mae::studio {

namespace {
// After a space or a path's '/' a line may end; never inside a number or a file's name.
bool may_break_after(char c) { return c == ' ' || c == '/'; }

// The bytes of the UTF-8 sequence that starts at text[i] (1 for a stray continuation byte).
size_t sequence_length(std::string_view text, size_t i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  const size_t n = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  return std::min(n, text.size() - i);
}
}  // namespace

std::string wrap_text(std::string_view text, float width,
                      const std::function<float(std::string_view)>& measure) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    const size_t newline = text.find('\n', start);
    const size_t end_of_line = newline == std::string_view::npos ? text.size() : newline;
    size_t end = start;         // the line is text[start, end)
    size_t last_break = start;  // just after the last place it may end, or start
    float line_width = 0.0f;
    while (end < end_of_line) {
      const size_t n = sequence_length(text, end);
      const float next = line_width + measure(text.substr(end, n));
      if (next > width) break;
      line_width = next;
      if (may_break_after(text[end])) last_break = end + n;
      end += n;
    }
    if (end < end_of_line && last_break > start) end = last_break;
    if (end == start && start < end_of_line)  // a character wider than the line
      end += sequence_length(text, start);
    std::string_view line = text.substr(start, end - start);
    while (!line.empty() && line.back() == ' ' && end < end_of_line) line.remove_suffix(1);
    out.append(line);
    start = end;
    if (start < end_of_line) {
      out.push_back('\n');
      while (start < end_of_line && text[start] == ' ') ++start;
    } else if (end_of_line < text.size()) {
      out.push_back('\n');
      start = end_of_line + 1;
    }
  }
  return out;
}

}  // namespace mae::studio
