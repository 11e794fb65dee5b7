// Why: what a file is gets decided from its suffix in several places (pictures in a folder,
// checkpoints in the browser and on drops, torch files), and each must ignore case the same
// way: "PHOTO.JPG" is a picture and "AUTHORS.PTH" a checkpoint. A folder typed with or
// without its trailing '/' must be named alike.
#pragma once

#include <string>

namespace mae {

// The path's extension with its dot, in lower case ("x/Photo.JPG" -> ".jpg"; none -> "").
std::string lower_case_extension(const std::string& path);

// The last name in a path, a folder's with or without its trailing '/' ("runs/vit/" -> "vit"),
// as a run or a data folder is named to the user.
std::string last_name(const std::string& path);

}  // namespace mae
