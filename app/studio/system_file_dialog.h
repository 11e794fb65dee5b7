// Why: some users want their desktop's own file chooser (bookmarks, network places, the
// look they know). Debian desktops ship zenity or kdialog; running one as a child process
// needs no GUI toolkit in the app, and waiting for it on a thread keeps the window drawing
// while the chooser is open. Where neither exists, the in-app browser is all there is.
#pragma once

#include <sys/types.h>

#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace mae::studio {

struct SystemDialogRequest {
  std::string title;
  std::string start_dir;
  bool folders = false;     // choose a folder, not a file
  std::string filter_name;  // "Checkpoints"; empty: every file
  std::string patterns;     // "*.safetensors *.pth"
};

struct SystemDialogOutcome {
  std::string path;   // empty when the user cancelled
  std::string error;  // one line when the chooser could not run
};

class SystemFileDialog {
 public:
  SystemFileDialog() = default;
  ~SystemFileDialog();
  SystemFileDialog(const SystemFileDialog&) = delete;
  SystemFileDialog& operator=(const SystemFileDialog&) = delete;

  // "zenity" or "kdialog" when one is on PATH, else "".
  static std::string available_tool();

  // Starts the chooser; false (with `error` set) when none is available or one is open.
  bool start(const SystemDialogRequest& request, std::string* error);
  bool running() const;
  // The outcome once the chooser has closed, exactly once.
  std::optional<SystemDialogOutcome> take_outcome();

 private:
  void wait_for(pid_t pid, int output_fd, std::string tool);

  mutable std::mutex mutex_;
  pid_t pid_ = -1;
  bool running_ = false;
  std::optional<SystemDialogOutcome> outcome_;
  std::thread waiter_;
};

}  // namespace mae::studio
