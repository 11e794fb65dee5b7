// Why: the lock behind FolderLock, in one place: OFD locks (fcntl F_OFD_*) rather than flock
// because F_OFD_GETLK tests a lock without taking it, so a watcher's question never makes a
// starting writer believe the folder is taken.
#include "util/folder_lock.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace mae {

namespace {

constexpr const char* kLockName = ".mae-run.lock";

struct flock whole_file(short type) {
  struct flock l {};
  l.l_type = type;
  l.l_whence = SEEK_SET;
  return l;  // l_start 0, l_len 0: the whole file, however long
}

std::string read_note(int fd) {
  char text[200] = {};
  const ssize_t n = pread(fd, text, sizeof text - 1, 0);
  std::string s(text, n > 0 ? static_cast<size_t>(n) : 0);
  s.resize(std::min(s.find('\n'), s.size()));  // the note is one line
  return s;
}

std::string read_holder(int fd) {
  const auto note = read_note(fd);
  return note.empty() ? "another process" : note;
}

std::string this_holder(const std::string& what) {
  char host[128] = {};
  gethostname(host, sizeof host - 1);
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char since[32] = {};
  std::tm local{};
  localtime_r(&now, &local);
  std::strftime(since, sizeof since, "%Y-%m-%d %H:%M", &local);
  return what + ", pid " + std::to_string(getpid()) + " on " + host + ", since " + since + "\n";
}

}  // namespace

FolderLock::FolderLock(std::filesystem::path folder, const std::string& what)
    : folder_(std::move(folder)) {
  std::error_code ec;
  std::filesystem::create_directories(folder_, ec);
  const int fd = open((folder_ / kLockName).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  auto lock = whole_file(F_WRLCK);
  if (fcntl(fd, F_OFD_SETLK, &lock) != 0) {
    // Only these two mean another holder; a file system without locks gives no lock at all.
    if (errno == EAGAIN || errno == EACCES) holder_ = read_holder(fd);
    close(fd);
    return;
  }
  fd_ = fd;
  const std::string who = this_holder(what);
  // Who holds it is a courtesy for the message; a lock whose note cannot be written still
  // locks.
  [[maybe_unused]] const bool noted =
      ftruncate(fd_, 0) == 0 && pwrite(fd_, who.data(), who.size(), 0) > 0;
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) close(fd_);  // closing the last descriptor drops the lock
}

FolderWriting folder_writer(const std::filesystem::path& folder) {
  const int fd = open((folder / kLockName).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  auto probe = whole_file(F_RDLCK);
  FolderWriting writing;
  if (fcntl(fd, F_OFD_GETLK, &probe) == 0)
    writing.state = probe.l_type == F_UNLCK ? FolderWriter::Gone : FolderWriter::Alive;
  writing.note = read_note(fd);
  close(fd);
  return writing;
}

}  // namespace mae
