// Why: greedy, one line at a time: the line grows while it fits, and where it would not, it
// ends at the last place it may break. Text in panels is a few hundred characters, so
// measuring each candidate line again is cheap.
#include "text_wrap.h"

namespace mae::studio {

namespace {
// After a space or a path's '/' a line may end; never inside a number or a file's name.
bool may_break_after(char c) { return c == ' ' || c == '/'; }
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
    while (end < end_of_line && measure(text.substr(start, end + 1 - start)) <= width) {
      if (may_break_after(text[end])) last_break = end + 1;
      ++end;
    }
    if (end < end_of_line && last_break > start) end = last_break;
    if (end == start && start < end_of_line) end = start + 1;  // a character wider than the line
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
