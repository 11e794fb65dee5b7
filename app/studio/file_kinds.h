// Why: the file browser, the desktop's chooser and a drop onto the window must agree on what
// is a picture and what is a checkpoint; one place names the suffixes, so that a .pth dropped
// on the window opens as a checkpoint exactly as the browser would open it.
#pragma once

#include <string>
#include <vector>

namespace mae::studio {

// Suffixes (lower case, with the dot) of checkpoint files: ours, the authors' and torch's.
const std::vector<std::string>& checkpoint_extensions();
// Whether the path ends in one of them, in any case.
bool has_checkpoint_extension(const std::string& path);
// "*.jpg *.JPG ..." for a file chooser's filter: each suffix in lower and upper case.
std::string glob_patterns(const std::vector<std::string>& extensions);

}  // namespace mae::studio
