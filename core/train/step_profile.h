// Why: "what limits the step" needs numbers, not guesses: which ATen ops take the host's
// time and which kernels take the GPU's. torch's own profiler (Kineto) records one step;
// this folds its events into self-time tables that `mae bench --profile` prints, and
// saves the full timeline as a Chrome trace for chrome://tracing or Perfetto.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace mae {

struct OpTime {
  std::string name;
  int64_t calls = 0;
  double ms = 0.0;  // self time on the host (time in the op minus its child ops), or kernel time
};

struct StepProfile {
  double wall_ms = 0.0;
  std::vector<OpTime> host_ops;        // by self time, longest first
  std::vector<OpTime> device_kernels;  // GPU kernels by time, longest first; empty on the CPU
};

// Runs `step` once under the profiler (with GPU activity when `cuda`) and, when
// `trace_path` is not empty, saves its Chrome trace there.
StepProfile profile_one_step(const std::function<void()>& step, bool cuda,
                             const std::string& trace_path);

}  // namespace mae
