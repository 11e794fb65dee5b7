// Why: the in-app file browser and the desktop's chooser: typed paths, keys, recent places,
// and a folder read again only when it changes.
#include <doctest/doctest.h>
#include <imgui.h>
#include <imgui_internal.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "data/image_io.h"
#include "folder_listing.h"
#include "keys.h"
#include "studio_app.h"
#include "studio_harness.h"

using namespace mae;
using namespace mae::studio;
using namespace mae::studio::testing;

TEST_CASE("file browser: typed paths, opening for the asking control, recent places") {
  LaunchedApp launched("mae-studio-test-browser");
  auto& [dir, ui, renderer, app] = launched;
  auto& s = app.state();
  std::filesystem::create_directories(dir / "pictures");
  const auto picture = (dir / "pictures" / "cat.png").string();
  mae::save_png(picture, torch::rand({3, 20, 20}));
  app.open_file_browser(BrowseTarget::ExplorerImage);
  ui.frame(app);
  app.browse_to((dir / "pictures").string());
  CHECK(s.browser.dir == (dir / "pictures").string());
  ui.frame(app);
  app.browse_to(picture);  // a typed file path opens it
  CHECK_FALSE(s.show_file_browser);
  CHECK(frames_until(ui, app, [&] { return s.explorer.image_label == picture; }));
  REQUIRE(!s.browser.recent.empty());
  CHECK(s.browser.recent.front() == (dir / "pictures").string());
  app.open_file_browser(BrowseTarget::TrainingData);
  app.browse_open((dir / "pictures").string());
  CHECK(std::string(s.form.data) == (dir / "pictures").string());
  CHECK(s.browser.recent.size() == 1);  // the same place once
  app.browse_to((dir / "missing").string());
  CHECK(s.status.find("no such file") != std::string::npos);
  ui.press(app, keys::kEscape);
}

TEST_CASE("file browser: a folder is read once and again only when files come or go") {
  const auto dir = LaunchedApp::make_dir("mae-studio-test-listing");
  std::filesystem::create_directories(dir / "sub");
  std::ofstream(dir / "b.safetensors") << "x";
  std::ofstream(dir / "a.PNG") << "x";
  std::ofstream(dir / "notes.txt") << "x";
  FolderListing listing;
  auto names = [&](BrowseWants wants) {
    std::vector<std::string> out;
    for (const auto& e : listing.entries(dir.string(), wants))
      out.push_back(e.name + (e.is_dir ? "/" : ""));
    return out;
  };
  CHECK(names(BrowseWants::Checkpoint) == std::vector<std::string>{"sub/", "b.safetensors"});
  CHECK(names(BrowseWants::Picture) == std::vector<std::string>{"sub/", "a.PNG"});
  // A picture added with the folder's time set back is not seen: the listing was kept.
  const auto modified = std::filesystem::last_write_time(dir);
  std::ofstream(dir / "c.png") << "x";
  std::filesystem::last_write_time(dir, modified);
  CHECK(names(BrowseWants::Picture) == std::vector<std::string>{"sub/", "a.PNG"});
  // Once the folder's time moves, it is.
  std::filesystem::last_write_time(dir, modified + std::chrono::seconds(1));
  CHECK(names(BrowseWants::Picture) == std::vector<std::string>{"sub/", "a.PNG", "c.png"});
  CHECK(listing.entries((dir / "missing").string(), BrowseWants::Picture).empty());
  // A link to nothing is left out without cutting the listing short, wherever it comes.
  for (const char* name : {"d.png", "e.png", "f.png", "g.png"}) std::ofstream(dir / name) << "x";
  std::filesystem::create_symlink(dir / "nowhere.png", dir / "dangling.png");
  CHECK(names(BrowseWants::Picture) ==
        std::vector<std::string>{"sub/", "a.PNG", "c.png", "d.png", "e.png", "f.png", "g.png"});
  std::filesystem::remove_all(dir);
}

TEST_CASE("file browser: arrows, Page keys, Home and End walk the list, with Enter and Backspace") {
  LaunchedApp launched("mae-studio-test-browser-keys");
  auto& [dir, ui, renderer, app] = launched;
  auto& s = app.state();
  const auto pictures = dir / "pictures";
  std::filesystem::create_directories(pictures / "inner");
  for (int i = 0; i < 60; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "p%02d.png", i);
    mae::save_png((pictures / name).string(), torch::rand({3, 8, 8}));
  }
  app.open_file_browser(BrowseTarget::ExplorerImage);
  app.browse_to(pictures.string());
  ui.frame(app);
  ImGui::SetWindowFocus("Open image");
  ui.frame(app);
  auto selected_name = [&] { return std::filesystem::path(s.browser.selected).filename(); };
  auto list_scroll = [&] {
    for (ImGuiWindow* w : ImGui::GetCurrentContext()->Windows)
      if (std::string(w->Name).find("Open image/entries") == 0) return w->Scroll.y;
    FAIL("no list in the browser");
    return 0.0f;
  };
  // A key press, then a frame with it up, so that the next press is a new one.
  auto tap = [&](int key) {
    ui.press(app, key);
    ui.frame(app);
  };
  tap(keys::kDownArrow);
  CHECK(selected_name() == "inner");  // folders first
  tap(keys::kDownArrow);
  tap(keys::kDownArrow);
  CHECK(selected_name() == "p01.png");
  CHECK(list_scroll() == 0.0f);
  tap(keys::kEnd);
  CHECK(selected_name() == "p59.png");
  CHECK(list_scroll() > 0.0f);  // the last row scrolled into view
  tap(keys::kPageUp);
  const auto after_page = selected_name().string();
  CHECK(after_page < "p59.png");
  CHECK(after_page > "p10.png");
  tap(keys::kHome);
  CHECK(selected_name() == "inner");
  CHECK(list_scroll() == 0.0f);
  // Enter goes into a folder; Backspace comes back with that folder selected.
  tap(keys::kEnter);
  CHECK(s.browser.dir == (pictures / "inner").string());
  tap(keys::kBackspace);
  CHECK(s.browser.dir == pictures.string());
  CHECK(selected_name() == "inner");
  // Enter on a picture opens it for the control that asked.
  tap(keys::kDownArrow);
  CHECK(selected_name() == "p00.png");
  tap(keys::kEnter);
  CHECK_FALSE(s.show_file_browser);
  CHECK(frames_until(ui, app,
                     [&] { return s.explorer.image_label == (pictures / "p00.png").string(); }));
}

TEST_CASE("the desktop's file chooser runs beside the window and opens what it returns") {
  // A stand-in zenity on PATH: it records its arguments and answers with a picture, or
  // exits 1 as a cancelled chooser does.
  const auto tools = std::filesystem::temp_directory_path() / "mae-studio-test-chooser";
  std::filesystem::create_directories(tools);
  const auto picture = (tools / "chosen.png").string();
  mae::save_png(picture, torch::rand({3, 20, 20}));
  const auto script = tools / "zenity";
  const auto write_script = [&](const std::string& body) {
    std::ofstream(script) << "#!/bin/sh\necho \"$@\" > " << (tools / "args").string() << "\n"
                          << body << "\n";
    std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  };
  write_script("sleep 0.3; echo " + picture);
  const std::string old_path = std::getenv("PATH") ? std::getenv("PATH") : "";
  setenv("PATH", (tools.string() + ":" + old_path).c_str(), 1);
  {
    LaunchedApp launched("mae-studio-test-system-dialog");
    auto& [dir, ui, renderer, app] = launched;
    auto& s = app.state();
    CHECK(app.system_dialog_tool() == "zenity");
    app.open_file_browser(BrowseTarget::ExplorerImage);
    ui.frame(app);
    app.open_system_dialog();
    CHECK(app.system_dialog_running());
    CHECK(app.animating());  // frames keep coming while the chooser is open
    REQUIRE(frames_until(ui, app, [&] { return s.explorer.image_label == picture; }));
    CHECK_FALSE(s.show_file_browser);
    std::ifstream args_file(tools / "args");
    const std::string args((std::istreambuf_iterator<char>(args_file)), {});
    CHECK(args.find("--file-selection") != std::string::npos);
    CHECK(args.find("*.png") != std::string::npos);
    // Cancelled: nothing opens and nothing is reported.
    write_script("exit 1");
    app.open_file_browser(BrowseTarget::TrainingData);
    const std::string data_before = s.form.data;
    app.open_system_dialog();
    REQUIRE(frames_until(ui, app, [&] { return !app.system_dialog_running(); }));
    ui.frame(app);
    CHECK(std::string(s.form.data) == data_before);
    CHECK(s.status.find("without a choice") == std::string::npos);
    args_file = std::ifstream(tools / "args");
    const std::string folder_args((std::istreambuf_iterator<char>(args_file)), {});
    CHECK(folder_args.find("--directory") != std::string::npos);
    // It picks folders only, and its title says so (the in-app browser also lists pictures).
    CHECK(folder_args.find("--title=Training data (a folder)") != std::string::npos);
  }
  setenv("PATH", old_path.c_str(), 1);
  std::filesystem::remove_all(tools);
}
