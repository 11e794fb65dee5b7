// Why: the file is read leniently, value by value, so that one bad entry (a hand edit, a
// newer version's field) loses only that value; it is written atomically, so that a full disk
// or a crash mid-write leaves the last good file.
#include "preferences.h"

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "app_state.h"
#include "util/atomic_file.h"
#include "util/file_bytes.h"
#include "util/json_nesting.h"
#include "util/one_line_error.h"

namespace mae::studio {
namespace {

constexpr size_t kMaxFileBytes = 1 << 20;
constexpr size_t kMaxRecentFolders = 8;
constexpr size_t kMaxFolderChars = 4096;
constexpr double kMaxSmoothing = 0.999;  // StudioApp::set_curve_smoothing's bound

// Reads `key` into `out` when it is there and `take` accepts it; else notes the key in `bad`.
template <typename Take>
void read_value(const nlohmann::json& file, const char* key, std::vector<std::string>& bad,
                Take take) {
  const auto it = file.find(key);
  if (it != file.end() && !take(*it)) bad.emplace_back(key);
}

bool take_bool(const nlohmann::json& value, bool& out) {
  if (!value.is_boolean()) return false;
  out = value.get<bool>();
  return true;
}

bool take_folders(const nlohmann::json& value, std::deque<std::string>& out) {
  if (!value.is_array()) return false;
  std::deque<std::string> folders;
  for (const auto& item : value) {
    if (!item.is_string() || item.get_ref<const std::string&>().empty() ||
        item.get_ref<const std::string&>().size() > kMaxFolderChars)
      return false;
    if (folders.size() < kMaxRecentFolders) folders.push_back(item.get<std::string>());
  }
  out = std::move(folders);
  return true;
}

std::string joined(const std::vector<std::string>& keys) {
  std::string out;
  for (const auto& key : keys) out.append(out.empty() ? "" : ", ").append(key);
  return out;
}

}  // namespace

Preferences preferences_of(const AppState& state) {
  Preferences p;
  p.curve_smoothing = state.curve_smoothing;
  p.log_scale = state.curves.log_scale;
  p.explorer_grid = state.explorer.show_grid;
  p.explorer_heat_map = state.explorer.show_heat;
  p.recent_folders = state.browser.recent;
  return p;
}

void apply_preferences(const Preferences& preferences, AppState& state) {
  state.curve_smoothing = preferences.curve_smoothing;
  state.curves.log_scale = preferences.log_scale;
  state.explorer.show_grid = preferences.explorer_grid;
  state.explorer.show_heat = preferences.explorer_heat_map;
  state.browser.recent = preferences.recent_folders;
}

PreferencesRead read_preferences(const std::string& path) {
  PreferencesRead read;
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::symlink_status(path, ec))) return read;
  const std::string unread = "preferences not read (the defaults are used): ";
  std::string text;
  try {
    text = read_text_file(path, kMaxFileBytes);
  } catch (const std::exception& e) {
    read.problem = unread + one_line_error(e);
    return read;
  }
  if (json_nesting(text.data(), text.size()) > 4) {
    read.problem = unread + path + " nests deeper than preferences do";
    return read;
  }
  nlohmann::json file;
  try {
    file = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    read.problem = unread + path + " is not JSON (at byte " + std::to_string(e.byte) + ")";
    return read;
  }
  if (!file.is_object()) {
    read.problem = unread + path + " does not hold a JSON object";
    return read;
  }
  auto& p = read.preferences;
  std::vector<std::string> bad;
  read_value(file, "curve_smoothing", bad, [&](const nlohmann::json& v) {
    if (!v.is_number() || !(v.get<double>() >= 0.0 && v.get<double>() <= kMaxSmoothing))
      return false;
    p.curve_smoothing = v.get<double>();
    return true;
  });
  read_value(file, "loss_log_scale", bad,
             [&](const nlohmann::json& v) { return take_bool(v, p.log_scale); });
  read_value(file, "explorer_grid", bad,
             [&](const nlohmann::json& v) { return take_bool(v, p.explorer_grid); });
  read_value(file, "explorer_heat_map", bad,
             [&](const nlohmann::json& v) { return take_bool(v, p.explorer_heat_map); });
  read_value(file, "recent_folders", bad,
             [&](const nlohmann::json& v) { return take_folders(v, p.recent_folders); });
  if (!bad.empty())
    read.problem = "preferences: " + path + ": " + joined(bad) +
                   (bad.size() == 1 ? " is" : " are") + " out of place; the default is used";
  return read;
}

std::string write_preferences(const std::string& path, const Preferences& preferences) {
  const nlohmann::json file = {
      {"curve_smoothing", preferences.curve_smoothing},
      {"loss_log_scale", preferences.log_scale},
      {"explorer_grid", preferences.explorer_grid},
      {"explorer_heat_map", preferences.explorer_heat_map},
      {"recent_folders", std::vector<std::string>(preferences.recent_folders.begin(),
                                                  preferences.recent_folders.end())}};
  const std::string text = file.dump(2) + "\n";
  try {
    write_file_atomically(path, [&](std::FILE* out) { write_all(out, text.data(), text.size()); });
  } catch (const std::exception& e) {
    return "preferences not saved: " + one_line_error(e);
  }
  return "";
}

}  // namespace mae::studio
