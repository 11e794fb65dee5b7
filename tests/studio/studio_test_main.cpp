// Why: the app's default "save to" is relative (runs/studio/last.safetensors), so a test that
// trains with it writes a run folder wherever the test program starts, and two programs that
// CTest runs side by side would find each other's folder in use; the same goes for the files
// tests name in the temporary folder. Each run of the studio tests works in a folder of its
// own, which is also its temporary folder, removed when they end.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  const fs::path started_in = fs::current_path();
  const fs::path scratch =
      fs::temp_directory_path() / ("mae-studio-tests-" + std::to_string(::getpid()));
  fs::create_directories(scratch);
  fs::current_path(scratch);
  ::setenv("TMPDIR", scratch.c_str(), 1);  // std::filesystem::temp_directory_path() reads it
  doctest::Context context(argc, argv);
  const int result = context.run();
  fs::current_path(started_in);
  std::error_code ec;
  fs::remove_all(scratch, ec);
  return result;
}
