// Why: each `mae` sub-command lives in its own file and registers itself here; main.cpp
// only assembles them and turns exceptions into messages with a non-zero exit.
#pragma once

#include <CLI/CLI.hpp>

namespace mae::cli {

// Counts (steps, batches, workers): CLI11's PositiveNumber would print "not in range 0.000000
// to 1.797...e308" for a 0; this says "not in range 1 to 1073741824".
inline const CLI::Range kCount(1, 1 << 30);
inline const CLI::Range kCountOrZero(0, 1 << 30);
// Learning rates: above 0 (0 would mean "the default" to the option's reader) and at most 1e6,
// as the training config allows.
inline const CLI::Validator kLearningRate(
    [](std::string& text) -> std::string {
      double value = 0.0;
      if (!CLI::detail::lexical_cast(text, value) || !(value > 0.0 && value <= 1e6))
        return "Value " + text + " is not a learning rate above 0 and at most 1e6";
      return {};
    },
    "LR");
// Every command that reads weights opens them with read_model_file, so all take these.
inline constexpr const char* kCheckpointHelp =
    "a checkpoint: ours (.safetensors), a Hugging Face folder or an authors' .pth";

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
