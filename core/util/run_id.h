// Why: a run folder's checkpoint and its curve file can come from different runs (a new run
// started over in the folder and was killed before its first save). A number drawn when a run
// starts, kept in its checkpoints and on each of its curve's lines, and carried across its
// resumes, tells them apart where steps and losses cannot.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mae {

// A new run's identity: random, never 0 (0 is "not known").
uint64_t new_run_id();
// As written in checkpoints and curve files: 16 lowercase hex digits.
std::string run_id_text(uint64_t run);
// The identity in `text`, if it is 16 hex digits and not 0.
std::optional<uint64_t> parse_run_id(std::string_view text);

}  // namespace mae
