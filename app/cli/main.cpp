// Why: the `mae` command: headless training, evaluation, reconstruction, benchmarks and
// checkpoint inspection on the same core the app uses.
#include <cstdio>
#include <exception>

#include "commands.h"
#include "util/host_allocator.h"
#include "util/one_line_error.h"

int main(int argc, char** argv) {
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
