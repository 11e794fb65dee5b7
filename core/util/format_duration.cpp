// Why: whole seconds, and hours and minutes past an hour, so an ETA stays a few characters wide on
// a progress line.
#include "util/format_duration.h"

#include <cstdio>

namespace mae {

std::string format_duration(double seconds) {
  char buf[32];
  const int total = seconds > 0 ? static_cast<int>(seconds + 0.5) : 0;
  if (total >= 3600)
    std::snprintf(buf, sizeof buf, "%dh%02dm", total / 3600, (total / 60) % 60);
  else
    std::snprintf(buf, sizeof buf, "%dm%02ds", total / 60, total % 60);
  return buf;
}

}  // namespace mae
