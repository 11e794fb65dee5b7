// Why: the chooser writes the chosen path on its standard output
// and exits 0; it exits 1 when cancelled. posix_spawn is safe in a threaded process.
#include "system_file_dialog.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <sstream>
#include <vector>

extern char** environ;

namespace mae::studio {

namespace {
bool executable_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':'))
    if (!dir.empty() && access((dir + "/" + name).c_str(), X_OK) == 0) return true;
  return false;
}

std::vector<std::string> arguments_for(const std::string& tool, const SystemDialogRequest& r) {
  const std::string dir = r.start_dir.empty() ? "." : r.start_dir;
  if (tool == "zenity") {
    std::vector<std::string> args = {"zenity", "--file-selection", "--title=" + r.title,
                                     "--filename=" + dir + "/"};
    if (r.folders) args.push_back("--directory");
    if (!r.folders && !r.patterns.empty())
      args.push_back("--file-filter=" + r.filter_name + " | " + r.patterns);
    return args;
  }
  if (r.folders) return {"kdialog", "--title", r.title, "--getexistingdirectory", dir};
  return {"kdialog", "--title",
          r.title,   "--getopenfilename",
          dir,       r.patterns.empty() ? "*" : r.patterns + "|" + r.filter_name};
}
}  // namespace

std::string SystemFileDialog::available_tool() {
  for (const char* tool : {"zenity", "kdialog"})
    if (executable_on_path(tool)) return tool;
  return "";
}

SystemFileDialog::~SystemFileDialog() {
  {
    std::lock_guard lock(mutex_);
    if (running_ && pid_ > 0) kill(pid_, SIGTERM);
  }
  if (waiter_.joinable()) waiter_.join();
}

bool SystemFileDialog::start(const SystemDialogRequest& request, std::string* error) {
  if (running()) {
    *error = "a system file dialog is already open";
    return false;
  }
  const std::string tool = available_tool();
  if (tool.empty()) {
    *error = "no system file dialog (zenity or kdialog) is installed";
    return false;
  }
  if (waiter_.joinable()) waiter_.join();
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) {
    *error = std::string("cannot start ") + tool + ": " + std::strerror(errno);
    return false;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[1]);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  const auto args = arguments_for(tool, request);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  // The dialog takes SIGINT and SIGTERM as usual: not the block this app's threads inherit.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
  const int rc = posix_spawnp(&pid, tool.c_str(), &actions, &attributes, argv.data(), environ);
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (rc != 0) {
    close(pipe_fds[0]);
    *error = "cannot start " + tool + ": " + std::strerror(rc);
    return false;
  }
  {
    std::lock_guard lock(mutex_);
    pid_ = pid;
    running_ = true;
    outcome_.reset();
  }
  waiter_ = std::thread(&SystemFileDialog::wait_for, this, pid, pipe_fds[0], tool);
  return true;
}

void SystemFileDialog::wait_for(pid_t pid, int output_fd, std::string tool) {
  std::string output;
  char buffer[4096];
  for (ssize_t n; (n = read(output_fd, buffer, sizeof buffer)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (output.size() < 65536) output.append(buffer, static_cast<size_t>(n));
  }
  close(output_fd);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  SystemDialogOutcome outcome;
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) output.pop_back();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    outcome.path = output;
  else if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)  // 1 is "cancelled"
    outcome.error = tool + " ended without a choice (" +
                    (WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                       : "signal " + std::to_string(WTERMSIG(status))) +
                    ")";
  std::lock_guard lock(mutex_);
  running_ = false;
  pid_ = -1;
  outcome_ = std::move(outcome);
}

bool SystemFileDialog::running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

std::optional<SystemDialogOutcome> SystemFileDialog::take_outcome() {
  std::lock_guard lock(mutex_);
  auto out = std::move(outcome_);
  outcome_.reset();
  return out;
}

}  // namespace mae::studio
