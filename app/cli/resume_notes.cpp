// Why: the notes are worded from the user's side (what was, what is now, which flag chose
// it), one line each, in the form the README quotes.
#include "resume_notes.h"

#include <cstdio>
#include <stdexcept>

namespace mae::cli {

void note_resumed_differently(const std::string& last, const TrainConfig& saved,
                              const TrainConfig& now, int world) {
  const auto note = [&last](const char* saved_way, const char* way_here, const char* why) {
    std::fprintf(stderr, "note: '%s' was trained %s; it goes on %s (%s)\n", last.c_str(), saved_way,
                 way_here, why);
  };
  const auto kind = [](const std::string& device) { return device.substr(0, device.find(':')); };
  if (kind(saved.device) != kind(now.device))
    note(("on " + saved.device).c_str(), ("on " + now.device).c_str(), "--device chooses");
  if (saved.autocasts() != now.autocasts())
    note(saved.autocasts() ? "with bf16 autocast" : "in fp32",
         now.autocasts() ? "with bf16 autocast" : "in fp32",
         now.device == "cpu" ? "--cpu-bf16 chooses" : "steps on a GPU always autocast");
  if (now.device == "cpu") return;
  if (saved.cuda_graphs != now.cuda_graphs && saved.ranks == 1 && world == 1)
    saved.cuda_graphs
        ? note("with its steps as CUDA graphs", "eagerly", "--no-cuda-graphs chooses")
        : note("eagerly", "with its steps as CUDA graphs", "--no-cuda-graphs chooses");
  if (saved.crops_on_device != now.crops_on_device)
    saved.crops_on_device ? note("with crops resized on the GPU",
                                 "with crops resized by the loader", "--crops-on-device chooses")
                          : note("with crops resized by the loader",
                                 "with crops resized on the GPU", "--crops-on-device chooses");
}

void check_total_steps(const std::string& last, const TrainConfig& saved, int64_t step,
                       int64_t steps, bool writes) {
  if (steps <= 0 && step >= saved.total_steps && writes)
    std::fprintf(stderr,
                 "note: '%s' has trained all its %lld steps; --steps with a larger total trains "
                 "it longer\n",
                 last.c_str(), static_cast<long long>(saved.total_steps));
  if (steps <= 0 || steps == saved.total_steps) return;
  if (steps <= step)
    throw std::runtime_error("--steps " + std::to_string(steps) + ": '" + last + "' is at step " +
                             std::to_string(step) +
                             " already; give a total beyond it to train longer");
  if (!writes) return;
  TrainConfig now = saved;
  now.total_steps = steps;
  std::fprintf(stderr,
               "note: '%s' was to train %lld steps and goes on to %lld; its lr schedule stretches "
               "to the new total, so the lr at step %lld goes from %.2e to %.2e (--steps "
               "chooses)\n",
               last.c_str(), static_cast<long long>(saved.total_steps),
               static_cast<long long>(steps), static_cast<long long>(step),
               learning_rate_at(saved, step), learning_rate_at(now, step));
}

}  // namespace mae::cli
