// Why: two runs writing one folder would interleave their loss curves in one metrics.jsonl and
// save over each other's checkpoints, losing one run without a word. A run holds its folder's
// lock for as long as it may write there. The lock is an open-file-description lock on
// <folder>/.mae-run.lock: the kernel drops it when the process ends, so a crash or a kill
// leaves nothing stale, and a watcher can ask whether a writer is alive without taking it.
#pragma once

#include <filesystem>
#include <string>

namespace mae {

// The writers that lock run folders, named as a lock's note says who holds it, so that a
// watcher can tell what would go on with an ended run.
inline constexpr const char* kTrainWriter = "mae train";
inline constexpr const char* kStudioWriter = "MAE Studio's training";
inline constexpr const char* kSweepWriter = "a masking-ratio sweep";

class FolderLock {
 public:
  // Makes `folder` if needed and tries to lock it for `what` ("mae train"). When another
  // process (or another window of this one) holds it, held() is false and holder() says who
  // ("mae train, pid 123 on host, since 2026-12-05 20:01"). When no lock can be made (the
  // folder cannot be created, a read-only file system) held() is false and holder() empty:
  // the writes that follow say why.
  FolderLock(std::filesystem::path folder, const std::string& what);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

  bool held() const { return fd_ >= 0; }
  bool held_elsewhere() const { return !holder_.empty(); }
  const std::string& holder() const { return holder_; }
  // "<folder> is in use by <holder>", the start of every refusal's message.
  std::string in_use() const { return folder_.string() + " is in use by " + holder_; }
  const std::filesystem::path& folder() const { return folder_; }

 private:
  std::filesystem::path folder_;
  int fd_ = -1;
  std::string holder_;
};

// Whether a process writes `folder` now, asked without locking, so that asking never gets in a
// starting writer's way. Unknown where no locking run ever wrote (older runs, other tools).
enum class FolderWriter { Unknown, Alive, Gone };
struct FolderWriting {
  FolderWriter state = FolderWriter::Unknown;
  // Who took the lock last, alive or gone ("mae train, pid 123 on host, since ..."): empty
  // where no locking run wrote it.
  std::string note;
};
// Both read from one opening of the lock file.
FolderWriting folder_writer(const std::filesystem::path& folder);

}  // namespace mae
