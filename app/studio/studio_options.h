// Why: the app's command line, so users and tests can script it: open a checkpoint or
// image, set the ratio, train a few steps, run N frames and save a screenshot.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace mae::studio {

struct StudioOptions {
  std::string load;   // checkpoint to open (default: the one shipped in assets/)
  std::string image;  // explorer image (default: a Fashion-MNIST test image)
  std::string data = "fashion-mnist";
  std::string preset = "fmnist-tiny";
  std::optional<double> ratio;
  std::string strategy;                // explorer mask strategy: random, block, grid
  bool heat_map = false;               // explorer error heat map on
  std::vector<std::string> show;       // windows open at launch (see parse_options)
  std::string compare;                 // checkpoint B of the Compare window
  std::string watch;                   // a run folder to follow (read-only)
  int64_t train_steps = 0;             // > 0: start training this many steps at launch
  int64_t frames = 0;                  // > 0: quit after this many frames
  std::string screenshot;              // save the last frame as PNG
  std::string frame_stats;             // write frame-time statistics (JSON) here
  std::string report;                  // write the app state (JSON) here at exit
  std::string config_dir;              // where the window layout is kept
  std::string export_dir = "exports";  // exported pictures and PNG sequences
  int width = 1600;                    // shrunk to the screen unless --width / --height give it
  int height = 1000;
  bool width_given = false, height_given = false;
};

// Parses argv; returns false (after printing help or an error) when the app should exit
// with `exit_code`.
bool parse_options(int argc, char** argv, StudioOptions* options, int* exit_code);

// $XDG_CONFIG_HOME/mae-studio or ~/.config/mae-studio, created if missing.
std::string default_config_dir();
// The checkpoint shipped with the app, or "" when it cannot be found.
std::string default_checkpoint();

}  // namespace mae::studio
