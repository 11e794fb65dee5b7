// Why: preferences are read at every launch from a file anyone can edit, and written from the
// UI thread; these cases pin that they come back as the user left them, that a damaged file
// costs only the values it damages (with one line naming it), and that a folder the app
// cannot write to is said once while the app goes on.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "preferences.h"
#include "studio_app.h"
#include "studio_harness.h"

using namespace mae::studio;
using namespace mae::studio::testing;
namespace fs = std::filesystem;

namespace {
fs::path fresh_dir(const std::string& name) {
  const auto dir = fs::temp_directory_path() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

bool log_has(const StudioApp& app, const std::string& text) {
  for (const auto& line : app.state().log)
    if (line.find(text) != std::string::npos) return true;
  return false;
}
}  // namespace

TEST_CASE("preferences: written and read back as they were, and the defaults without a file") {
  const auto dir = fresh_dir("mae-studio-test-prefs-roundtrip");
  const auto path = (dir / "preferences.json").string();
  const auto missing = read_preferences(path);
  CHECK(missing.problem.empty());
  CHECK(missing.preferences == Preferences{});
  Preferences p;
  p.curve_smoothing = 0.5;
  p.log_scale = true;
  p.explorer_grid = false;
  p.explorer_heat_map = true;
  p.recent_folders = {"/data/photos", "/tmp/a \"quoted\" name"};
  REQUIRE(write_preferences(path, p).empty());
  const auto back = read_preferences(path);
  CHECK(back.problem.empty());
  CHECK(back.preferences == p);
  fs::remove_all(dir);
}

TEST_CASE("preferences: a damaged file loses only what it damages, with one line naming it") {
  const auto dir = fresh_dir("mae-studio-test-prefs-damaged");
  const auto path = dir / "preferences.json";
  const auto read_of = [&](const std::string& text) {
    write_text(path, text);
    return read_preferences(path.string());
  };
  SUBCASE("not JSON") {
    const auto r = read_of("{\"curve_smoothing\": 0.5,");
    CHECK(r.preferences == Preferences{});
    CHECK(r.problem.find(path.string() + " is not JSON (at byte") != std::string::npos);
  }
  SUBCASE("not an object") {
    CHECK(read_of("[1, 2]").problem.find("does not hold a JSON object") != std::string::npos);
  }
  SUBCASE("nested like an attack") {
    CHECK(read_of(std::string(100000, '[')).problem.find("nests deeper") != std::string::npos);
  }
  SUBCASE("too large") {
    const auto r = read_of("{\"x\": \"" + std::string(2 << 20, 'a') + "\"}");
    CHECK(r.preferences == Preferences{});
    CHECK(r.problem.find("preferences not read") != std::string::npos);
    CHECK(r.problem.find(path.string()) != std::string::npos);
  }
  SUBCASE("a folder where the file should be") {
    fs::create_directories(path);
    const auto r = read_preferences(path.string());
    CHECK(r.preferences == Preferences{});
    CHECK(r.problem.find(path.string()) != std::string::npos);
  }
  SUBCASE("values out of place keep their defaults; the rest is read") {
    const auto r =
        read_of(R"({"curve_smoothing": 7, "loss_log_scale": true, "explorer_grid": "no",)"
                R"( "recent_folders": ["/a", "/b", "/c", "/d", "/e", "/f", "/g", "/h", "/i"],)"
                R"( "a later version's field": 1})");
    CHECK(r.preferences.curve_smoothing == Preferences{}.curve_smoothing);
    CHECK(r.preferences.log_scale);
    CHECK(r.preferences.explorer_grid == Preferences{}.explorer_grid);
    CHECK(r.preferences.recent_folders.size() == 8);  // the file browser keeps 8
    CHECK(r.preferences.recent_folders.front() == "/a");
    CHECK(r.problem.find("curve_smoothing, explorer_grid are out of place") != std::string::npos);
  }
  SUBCASE("a recent folder that is not a name") {
    const auto r = read_of(R"({"recent_folders": ["/a", 3], "loss_log_scale": true})");
    CHECK(r.preferences.recent_folders.empty());
    CHECK(r.preferences.log_scale);
    CHECK(r.problem.find("recent_folders is out of place") != std::string::npos);
  }
  fs::remove_all(dir);
}

TEST_CASE("preferences: the app comes back as the user left it, and rewrites a damaged file") {
  const auto dir = fresh_dir("mae-studio-test-prefs-app");
  auto options = options_with("");
  options.config_dir = (dir / "config").string();
  fs::create_directories(options.config_dir);
  const auto file = options.config_dir + "/preferences.json";
  {
    HeadlessImGui ui;
    MockRenderer renderer;
    StudioApp app(renderer, options);
    ui.frame(app);
    CHECK(app.state().curve_smoothing == 0.9);
    CHECK_FALSE(fs::exists(file));  // nothing changed, nothing written
    app.set_curve_smoothing(0.3);
    app.state().curves.log_scale = true;
    app.state().explorer.show_grid = false;
    app.state().browser.recent.push_front("/data/photos");
  }  // closing writes what changed since the last second's check
  {
    HeadlessImGui ui;
    MockRenderer renderer;
    StudioApp app(renderer, options);
    CHECK(app.state().curve_smoothing == 0.3);
    CHECK(app.state().curves.log_scale);
    CHECK_FALSE(app.state().explorer.show_grid);
    REQUIRE(app.state().browser.recent.size() == 1);
    CHECK(app.state().browser.recent.front() == "/data/photos");
  }
  write_text(file, "{\"curve_smoothing\": \"high\", \"loss_log_scale\": true}");
  {
    HeadlessImGui ui;
    MockRenderer renderer;
    StudioApp app(renderer, options);
    CHECK(log_has(app, "preferences: " + file + ": curve_smoothing is out of place"));
    CHECK(app.state().curve_smoothing == 0.9);
    CHECK(app.state().curves.log_scale);
    ui.frame(app);  // the file is put right at once
  }
  const auto healed = read_preferences(file);
  CHECK(healed.problem.empty());
  CHECK(healed.preferences.log_scale);
  fs::remove_all(dir);
}

TEST_CASE("preferences: a config folder that cannot be written is said once, and the app goes on") {
  const auto dir = fresh_dir("mae-studio-test-prefs-unwritable");
  auto options = options_with("");
  options.config_dir = (dir / "not-a-folder").string();
  write_text(options.config_dir, "a file where the config folder should be");
  HeadlessImGui ui;
  MockRenderer renderer;
  StudioApp app(renderer, options);
  ui.frame(app);
  app.set_curve_smoothing(0.2);
  REQUIRE(frames_until(ui, app, [&] { return log_has(app, "preferences not saved: "); }));
  const auto said = [&] {
    return std::count_if(app.state().log.begin(), app.state().log.end(), [](const auto& line) {
      return line.find("preferences") != std::string::npos;
    });
  };
  CHECK(said() == 1);
  CHECK(log_has(app, options.config_dir));
  // Past the next second's check: the same preferences are not tried, nor said, again.
  frames_until(
      ui, app, [] { return false; }, 1.5);
  CHECK(said() == 1);
  CHECK(app.state().curve_smoothing == 0.2);
  fs::remove_all(dir);
}
