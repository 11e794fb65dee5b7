// Why: the app's default "save to" is relative (runs/studio/last.safetensors), so a test that
// trains with it writes a run folder wherever the test program starts, and two programs that
// CTest runs side by side would find each other's folder in use. Each run of the studio tests
// works in a folder of its own, removed when they end.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
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
  doctest::Context context(argc, argv);
  const int result = context.run();
  fs::current_path(started_in);
  std::error_code ec;
  fs::remove_all(scratch, ec);
  return result;
}
