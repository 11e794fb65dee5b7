// Why: what a file is gets decided from its suffix in several places (pictures in a folder,
// checkpoints in the browser and on drops, torch files), and each must ignore case the same
// way: "PHOTO.JPG" is a picture and "AUTHORS.PTH" a checkpoint.
#pragma once

#include <string>

namespace mae {

// The path's extension with its dot, in lower case ("x/Photo.JPG" -> ".jpg"; none -> "").
std::string lower_case_extension(const std::string& path);

}  // namespace mae
