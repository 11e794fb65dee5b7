// Why: on a terminal a progress line rewrites itself in place ('\r'); in a log file (a
// cluster job's output, `mae train 2> train.log`) the same bytes make a whole run one line
// that `tail -f`, grep and a scheduler's log viewer cannot read. There each update is a line
// of its own, and the frequent ones (the data stage, a long step's micro-batches) go out at
// most every few seconds.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

namespace mae {

class StatusLine {
 public:
  // How often a throttled status reaches a file.
  static constexpr std::chrono::seconds kFileInterval{10};

  explicit StatusLine(std::FILE* out = stderr);
  // Finishes, so that an error unwinding past the status starts on a line of its own.
  ~StatusLine() { finish(); }
  StatusLine(const StatusLine&) = delete;
  StatusLine& operator=(const StatusLine&) = delete;
  // On a terminal, shows `text` in place of the status before it. In a file, writes it as a
  // line, unless `throttled` and the last line went out less than kFileInterval ago (it is
  // then kept for finish()).
  void show(const std::string& text, bool throttled = false);
  [[gnu::format(printf, 3, 4)]] void showf(bool throttled, const char* format, ...);
  // Whatever comes next starts on a line of its own: a status shown in place is ended, and in
  // a file one kept back by the throttle is written.
  void finish();
  // As finish(), except that on a terminal the status shown in place is erased: for a
  // command whose result follows and makes its progress moot.
  void erase();

 private:
  std::FILE* out_;
  bool terminal_;
  bool in_place_ = false;   // a status is shown in place, not yet ended
  std::string kept_;        // in a file: the newest status the throttle held back
  size_t shown_width_ = 0;  // on a terminal: the characters the status in place covers
  std::chrono::steady_clock::time_point last_line_{};
};

}  // namespace mae
