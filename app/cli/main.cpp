// Why: the `mae` command: headless training, evaluation, reconstruction, benchmarks and
// checkpoint inspection on the same core the app uses.
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>

#include "commands.h"
#include "model/tuning_variables.h"
#include "util/host_allocator.h"
#include "util/one_line_error.h"
#include "util/stop_signals.h"

int main(int argc, char** argv) {
  mae::take_stop_signals_on_their_own_thread();  // before any other thread starts
  mae::keep_freed_host_memory();
  CLI::App app{"mae: Masked Autoencoder training and inspection (MAE Studio core)"};
  app.require_subcommand(1);
  mae::cli::add_train(app);
  mae::cli::add_eval(app);
  mae::cli::add_reconstruct(app);
  mae::cli::add_bench(app);
  mae::cli::add_bench_data(app);
  mae::cli::add_info(app);
  mae::cli::add_convert(app);
  mae::cli::add_forward(app);
  mae::cli::add_probe(app);
  mae::cli::add_sweep(app);
  // After --help has been answered and before any command runs: a misspelt tuning variable
  // would otherwise measure or train with the default, or fail in the middle of a forward.
  app.parse_complete_callback([] {
    std::string misspelt;
    for (const auto& line : mae::misspelt_tuning_variables())
      misspelt += (misspelt.empty() ? "" : "; ") + line;
    if (!misspelt.empty()) throw std::invalid_argument(misspelt);
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mae: error: %s\n", mae::one_line_error(e).c_str());
    return 1;
  }
  return 0;
}
