// Why: the one spelling of a run's identity, so that checkpoints and curve files agree on it.
#include "util/run_id.h"

#include <charconv>
#include <cstdio>
#include <random>

namespace mae {

uint64_t new_run_id() {
  std::random_device entropy;
  uint64_t run = 0;
  while (run == 0) run = (uint64_t{entropy()} << 32) ^ entropy();
  return run;
}

std::string run_id_text(uint64_t run) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(run));
  return text;
}

std::optional<uint64_t> parse_run_id(std::string_view text) {
  uint64_t run = 0;
  const auto end = text.data() + text.size();
  const auto parsed = std::from_chars(text.data(), end, run, 16);
  if (text.size() != 16 || parsed.ec != std::errc() || parsed.ptr != end || run == 0)
    return std::nullopt;
  return run;
}

}  // namespace mae
