// Why: the padding after a status shown in place covers the tail of a longer one before it.
#include "status_line.h"

#include <unistd.h>

#include <algorithm>
#include <cstdarg>

namespace mae {

StatusLine::StatusLine(std::FILE* out) : out_(out), terminal_(isatty(fileno(out)) != 0) {}

void StatusLine::show(const std::string& text, bool throttled) {
  if (terminal_) {
    std::fprintf(out_, "\r%s   ", text.c_str());
    in_place_ = true;
    shown_width_ = std::max(shown_width_, text.size() + 3);
  } else {
    const auto now = std::chrono::steady_clock::now();
    if (throttled && now - last_line_ < kFileInterval) {
      kept_ = text;
      return;
    }
    std::fprintf(out_, "%s\n", text.c_str());
    kept_.clear();
    last_line_ = now;
  }
  std::fflush(out_);
}

void StatusLine::showf(bool throttled, const char* format, ...) {
  char text[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(text, sizeof text, format, args);
  va_end(args);
  show(text, throttled);
}

void StatusLine::finish() {
  if (in_place_) std::fprintf(out_, "\n");
  if (!kept_.empty()) std::fprintf(out_, "%s\n", kept_.c_str());
  in_place_ = false;
  shown_width_ = 0;
  kept_.clear();
  std::fflush(out_);
}

void StatusLine::erase() {
  if (in_place_) {
    std::fprintf(out_, "\r%*s\r", static_cast<int>(shown_width_), "");
    in_place_ = false;
  }
  finish();
}

}  // namespace mae
