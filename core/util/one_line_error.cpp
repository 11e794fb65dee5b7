// Why: torch's what() carries a backtrace and nlohmann's a bracketed code; both are cut to the
// first line of plain text, and an empty message still says something.
#include "util/one_line_error.h"

#include <c10/util/Exception.h>

namespace mae {

std::string one_line_error(const std::exception& error) {
  std::string text;
  if (const auto* torch_error = dynamic_cast<const c10::Error*>(&error))
    text = torch_error->what_without_backtrace();
  else
    text = error.what();
  if (const auto end = text.find('\n'); end != std::string::npos) text.resize(end);
  if (text.rfind("[json.exception.", 0) == 0) {
    if (const auto close = text.find("] "); close != std::string::npos)
      text = "invalid JSON: " + text.substr(close + 2);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\r')) text.pop_back();
  return text.empty() ? std::string("unknown error") : text;
}

}  // namespace mae
