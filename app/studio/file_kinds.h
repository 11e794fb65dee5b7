// Why: the file browser, the desktop's chooser and a drop onto the window must agree on what
// is a picture and what is a checkpoint; one place names the suffixes, so that a .pth dropped
// on the window opens as a checkpoint exactly as the browser would open it. The same place
// says what each control that browses asks for, so the two choosers ask alike.
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

// What the file browser is choosing for.
enum class BrowseTarget { Checkpoint, ExplorerImage, TrainingData, CompareCheckpoint, RunFolder };

// What a target opens: a checkpoint file (or a Hugging Face folder), a picture, a folder,
// or a folder or a single picture (training data).
enum class BrowseWants { Checkpoint, Picture, Folder, FolderOrPicture };
struct BrowseRequestKind {
  const char* title;
  BrowseWants wants;
  // The desktop's choosers pick a folder or a file, not either: for FolderOrPicture they
  // pick a folder, and say so in this title (the in-app browser takes single pictures).
  const char* folder_chooser_title = nullptr;
};
BrowseRequestKind browse_kind(BrowseTarget target);
// Whether the file (not a folder) at `path` is one that `wants` can open.
bool openable_file(const std::string& path, BrowseWants wants);

}  // namespace mae::studio
