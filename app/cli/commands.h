// Why: each `mae` sub-command lives in its own file and registers itself here; main.cpp
// only assembles them and turns exceptions into messages with a non-zero exit.
#pragma once

#include <CLI/CLI.hpp>

namespace mae::cli {

void add_train(CLI::App& app);
void add_eval(CLI::App& app);
void add_reconstruct(CLI::App& app);
void add_bench(CLI::App& app);
void add_bench_data(CLI::App& app);
void add_info(CLI::App& app);
void add_convert(CLI::App& app);
void add_forward(CLI::App& app);
void add_probe(CLI::App& app);
void add_sweep(CLI::App& app);

}  // namespace mae::cli
