// Why: a user sees one line per failure. LibTorch's errors carry C++ stack traces and
// nlohmann's carry "[json.exception.parse_error.101]" prefixes; every place that shows an
// exception to a user goes through here so neither reaches the screen.
#pragma once

#include <exception>
#include <string>

namespace mae {

// The first line of the exception's message, without LibTorch's backtrace or nlohmann's
// exception id, and without trailing spaces.
std::string one_line_error(const std::exception& error);

}  // namespace mae
