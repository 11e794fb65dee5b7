// Why: saves must survive the faults a long run meets. A child process is killed with
// SIGKILL in the middle of writing, or runs into a file-size limit (a full disk, as far as
// write(2) can tell), and the previous checkpoint must still load, byte for byte.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "io/checkpoint.h"
#include "small_configs.h"
#include "test_support.h"
#include "util/atomic_file.h"

using namespace mae;

namespace {

// Temporary files that a save left beside its target.
int temporary_files_in(const std::string& dir) {
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().filename().string().find(".tmp") != std::string::npos) ++n;
  return n;
}

}  // namespace

TEST_CASE("a failed save keeps the previous file and removes its temporary file") {
  TempDir dir;
  auto model = make_model(small_test_model(), 3);
  save_checkpoint(dir.path("keep.safetensors"), model, {}, nullptr, 1, 0.1);
  const auto before = read_bytes(dir.path("keep.safetensors"));
  CHECK_THROWS(save_checkpoint(dir.path("no/such/dir/x.safetensors"), model, {}, nullptr, 2, 0.2));
  int temporaries_while_writing = 0;
  CHECK_THROWS_WITH(write_file_atomically(dir.path("keep.safetensors"),
                                          [&](std::FILE* f) {
                                            write_all(f, "partial", 7);
                                            temporaries_while_writing =
                                                temporary_files_in(dir.root);
                                            throw std::runtime_error("interrupted");
                                          }),
                    doctest::Contains("interrupted"));
  CHECK(temporaries_while_writing == 1);  // the failure happened inside a real temporary file
  CHECK(read_bytes(dir.path("keep.safetensors")) == before);
  CHECK(temporary_files_in(dir.root) == 0);
}

TEST_CASE("kill -9 in the middle of a save leaves the previous checkpoint loadable") {
  TempDir dir;
  auto model = make_model(small_test_model(), 3);
  const std::string path = dir.path("last.safetensors");
  save_checkpoint(path, model, {}, nullptr, 7, 0.25);
  const auto before = read_bytes(path);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // A slow save: 64 KiB at a time, until the parent kills us.
    std::vector<char> chunk(size_t{64} << 10, 'x');
    write_file_atomically(path, [&](std::FILE* f) {
      for (int i = 0; i < 100000; ++i) {
        write_all(f, chunk.data(), chunk.size());
        std::fflush(f);
        ::usleep(2000);
      }
    });
    ::_exit(0);
  }
  // Wait until the child's temporary file holds at least a megabyte, then kill it.
  bool writing = false;
  for (int i = 0; i < 1000 && !writing; ++i) {
    for (const auto& entry : std::filesystem::directory_iterator(dir.root))
      if (entry.path().filename().string().find(".tmp") != std::string::npos &&
          entry.file_size() > (size_t{1} << 20))
        writing = true;
    if (!writing) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  REQUIRE(writing);
  CHECK(WIFSIGNALED(status));
  CHECK(read_bytes(path) == before);
  const auto loaded = read_checkpoint(path);
  CHECK(loaded.info.step == 7);
}

TEST_CASE("a full disk (a file-size limit) gives a clear error and keeps the old file") {
  TempDir dir;
  auto model = make_model(small_test_model(), 3);
  const std::string path = dir.path("last.safetensors");
  save_checkpoint(path, model, {}, nullptr, 3, 0.5);
  const auto before = read_bytes(path);
  // Made before the fork: the child only writes, it runs no torch kernels.
  const NamedTensors big = {{"w", torch::ones({int64_t{1} << 20})}};
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    ::signal(SIGXFSZ, SIG_IGN);  // write(2) then fails with EFBIG, as on a full disk
    rlimit limit{size_t{1} << 20, size_t{1} << 20};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    std::string message = "no error";
    try {
      write_safetensors(path, big, {});
    } catch (const std::exception& e) {
      message = e.what();
    }
    const ssize_t written = ::write(pipe_fds[1], message.data(), message.size());
    ::_exit(written > 0 ? 0 : 1);
  }
  ::close(pipe_fds[1]);
  char buffer[512] = {};
  const ssize_t got = ::read(pipe_fds[0], buffer, sizeof(buffer) - 1);
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  const std::string message(buffer, got > 0 ? static_cast<size_t>(got) : 0);
  MESSAGE("the child's error: " << message);
  CHECK(WIFEXITED(status));
  CHECK(message.find("File too large") != std::string::npos);
  CHECK(read_bytes(path) == before);
  CHECK(temporary_files_in(dir.root) == 0);
}
