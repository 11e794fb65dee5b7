// Why: a run's folder is locked so that a second run cannot mix its curve and checkpoints into
// it. The lock must stop a second writer, name the first, leave nothing stale behind, and be
// observable without being taken, or a watcher would make a starting run think it taken.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "test_support.h"
#include "util/folder_lock.h"

TEST_CASE("a run folder's lock stops a second writer, names the first, and is gone with it") {
  TempDir dir;
  const std::filesystem::path run = dir.path("run");  // made by the lock
  CHECK(mae::folder_writer(run).state == mae::FolderWriter::Unknown);
  CHECK(mae::folder_writer(run).note.empty());
  auto first = std::make_unique<mae::FolderLock>(run, mae::kTrainWriter);
  REQUIRE(first->held());
  CHECK(mae::folder_writer(run).state == mae::FolderWriter::Alive);
  // Asking does not take it: the second writer still finds only the first in the way.
  mae::FolderLock second(run, "a masking-ratio sweep");
  CHECK_FALSE(second.held());
  REQUIRE(second.held_elsewhere());
  CHECK(second.holder().rfind("mae train, pid " + std::to_string(getpid()) + " on ", 0) == 0);
  CHECK(second.holder().find(", since 20") != std::string::npos);

  CHECK(mae::folder_writer(run).note == second.holder());

  first.reset();
  CHECK(mae::folder_writer(run).state == mae::FolderWriter::Gone);
  // A gone writer's note stays, for a watcher to say whose run ended.
  CHECK(mae::folder_writer(run).note == second.holder());
  mae::FolderLock third(run, mae::kSweepWriter);
  CHECK(third.held());
  CHECK_FALSE(third.held_elsewhere());
  CHECK(mae::folder_writer(run).note.rfind("a masking-ratio sweep, pid ", 0) == 0);
}

TEST_CASE("a folder that cannot be made gives no lock and no holder, and nothing throws") {
  TempDir dir;
  std::ofstream(dir.path("file")) << "in the way";
  mae::FolderLock lock(dir.path("file") + "/run", "mae train");
  CHECK_FALSE(lock.held());
  CHECK_FALSE(lock.held_elsewhere());
  CHECK(mae::folder_writer(dir.path("file") + "/run").state == mae::FolderWriter::Unknown);
}
