// Why: the CLI's progress lines and the app's progress bars show ETAs the same way (data
// stage and training alike), so the formatter sits in the shared leaf.
#pragma once

#include <string>

namespace mae {

// "4m05s" under an hour, "2h07m" above.
std::string format_duration(double seconds);

}  // namespace mae
