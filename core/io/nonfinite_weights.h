// Why: a file whose weights hold NaN or infinite values (from a run that diverged in another
// tool, or a bad conversion) is still a readable checkpoint, but every reconstruction, loss
// and feature from it is NaN: black pictures and "nan" figures that say nothing of the cause.
// Found once where a file is read, it is named in one line instead.
#pragma once

#include <string>

#include "io/safetensors.h"

namespace mae {

// "" when every floating-point tensor holds finite values only; else one line, naming the
// file (`path`), that says how many values in how many tensors are NaN or infinite, and the
// first such tensor.
std::string nonfinite_weights_problem(const std::string& path, const NamedTensors& tensors);

}  // namespace mae
