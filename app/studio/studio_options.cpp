// Why: CLI11 parses the options, so --help lists them and a bad value exits with a message; the
// config folder follows XDG_CONFIG_HOME, as desktop programs do.
#include "studio_options.h"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>

namespace mae::studio {

bool parse_options(int argc, char** argv, StudioOptions* o, int* exit_code) {
  CLI::App app{"MAE Studio: watch, steer and inspect Masked Autoencoders"};
  app.add_option("--load", o->load, "checkpoint to open (default: assets/fmnist-tiny)");
  app.add_option("--image", o->image, "image for the masking explorer");
  app.add_option("--data", o->data, "training data: folder, image, fashion-mnist")
      ->capture_default_str();
  app.add_option("--preset", o->preset, "training preset")->capture_default_str();
  app.add_option("--ratio", o->ratio, "masking ratio for the explorer (0 to 0.95)")
      ->check(CLI::Range(0.0, 0.95));
  app.add_option("--strategy", o->strategy, "explorer mask strategy")
      ->check(CLI::IsMember({"random", "block", "grid"}));
  app.add_flag("--heat-map", o->heat_map, "show the explorer's per-patch error heat map");
  app.add_option("--show", o->show,
                 "open windows at launch: attention, step-through, compare, probe, experiments")
      ->check(CLI::IsMember({"attention", "step-through", "compare", "probe", "experiments"}));
  app.add_option("--compare", o->compare, "second checkpoint for the Compare window");
  app.add_option("--watch", o->watch,
                 "follow a folder that `mae train` writes: live curves and pictures (read-only)");
  app.add_option("--train-steps", o->train_steps, "start training this many steps at launch");
  app.add_option("--frames", o->frames, "quit after this many frames (drawn at most 60 a second)");
  app.add_option("--screenshot", o->screenshot, "save the last frame as PNG");
  app.add_option("--frame-stats", o->frame_stats, "write frame-time statistics (JSON)");
  app.add_option("--report", o->report, "write the app state (JSON) at exit");
  app.add_option("--export-dir", o->export_dir, "folder for exported pictures")
      ->capture_default_str();
  app.add_option("--config-dir", o->config_dir,
                 "folder for the remembered window layout and preferences");
  app.add_option("--width", o->width, "window width")->capture_default_str();
  app.add_option("--height", o->height, "window height")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    *exit_code = app.exit(e);
    return false;
  }
  o->width_given = app.count("--width") > 0;
  o->height_given = app.count("--height") > 0;
  if (o->config_dir.empty()) o->config_dir = default_config_dir();
  std::error_code ec;
  std::filesystem::create_directories(o->config_dir, ec);
  if (o->load.empty()) o->load = default_checkpoint();
  return true;
}

std::string default_config_dir() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  const char* home = std::getenv("HOME");
  std::filesystem::path dir = xdg && *xdg ? std::filesystem::path(xdg)
                              : home      ? std::filesystem::path(home) / ".config"
                                          : std::filesystem::path(".");
  dir /= "mae-studio";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  return dir.string();
}

std::string default_checkpoint() {
  std::error_code ec;
  for (const char* candidate :
       {MAE_STUDIO_ASSETS_DIR "/fmnist-tiny.safetensors", "assets/fmnist-tiny.safetensors"})
    if (std::filesystem::exists(candidate, ec)) return candidate;
  return "";
}

}  // namespace mae::studio
