// Why: every command that reads weights says, once and before its own output, what is wrong
// with weights it can still use (values that are NaN or infinite), so that a "nan" in its
// figures or a black picture has its cause on the line above.
#pragma once

#include <string>

#include "io/model_files.h"

namespace mae::cli {

// read_model_file, with its warning (if any) on stderr as "mae: warning: ...".
ModelFile read_weights(const std::string& path);

}  // namespace mae::cli
