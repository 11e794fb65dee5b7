// Why: the CLI's progress line and the app's progress bar show ETAs the same way.
#pragma once

#include <string>

namespace mae {

// "4m05s" under an hour, "2h07m" above.
std::string format_duration(double seconds);

}  // namespace mae
