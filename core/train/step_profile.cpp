// Why: Kineto's events nest within each thread, and only self time (an event less those directly
// inside it) adds up to the step, so that is what the tables show.
#include "train/step_profile.h"

#include <torch/csrc/autograd/profiler_kineto.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <set>

namespace mae {

namespace {
namespace prof = torch::autograd::profiler;
using torch::profiler::impl::ActivityType;

struct Span {
  uint64_t start, end;
  const std::string* name;
};

std::vector<OpTime> sorted(const std::map<std::string, OpTime>& by_name) {
  std::vector<OpTime> out;
  for (const auto& [name, t] : by_name) out.push_back(t);
  std::sort(out.begin(), out.end(), [](const OpTime& a, const OpTime& b) { return a.ms > b.ms; });
  return out;
}

void add(std::map<std::string, OpTime>& by_name, const std::string& name, double ms, int calls) {
  auto& t = by_name[name];
  t.name = name;
  t.calls += calls;
  t.ms += ms;
}

// Self time per thread: the events of one thread nest, so each one's time less the time
// of the events directly inside it is its own.
void add_self_times(std::vector<Span> spans, std::map<std::string, OpTime>& by_name) {
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return a.start != b.start ? a.start < b.start : a.end > b.end;
  });
  std::vector<std::pair<const Span*, uint64_t>> open;  // span, time of its children so far
  const auto close = [&] {
    const auto [span, children] = open.back();
    open.pop_back();
    const uint64_t length = span->end - span->start;
    add(by_name, *span->name, static_cast<double>(length - std::min(children, length)) / 1e6, 1);
    if (!open.empty()) open.back().second += length;
  };
  for (const auto& s : spans) {
    while (!open.empty() && open.back().first->end <= s.start) close();
    open.emplace_back(&s, 0);
  }
  while (!open.empty()) close();
}
}  // namespace

StepProfile profile_one_step(const std::function<void()>& step, bool cuda,
                             const std::string& trace_path) {
  const torch::profiler::impl::ProfilerConfig config(torch::profiler::impl::ProfilerState::KINETO);
  std::set<ActivityType> activities{ActivityType::CPU};
  if (cuda)
    activities.insert(ActivityType::CUDA);
  else  // Kineto would log the GPU it looks for and does not find as an error
    setenv("KINETO_LOG_LEVEL", "5", /*overwrite=*/0);
  prof::prepareProfiler(config, activities);
  prof::enableProfiler(config, activities);
  const auto start = std::chrono::steady_clock::now();
  try {
    step();
  } catch (...) {
    prof::disableProfiler();
    throw;
  }
  StepProfile out;
  out.wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  auto result = prof::disableProfiler();
  if (!trace_path.empty()) result->save(trace_path);

  std::vector<std::string> names;
  names.reserve(result->events().size());
  for (const auto& e : result->events()) names.push_back(e.name());
  std::map<uint64_t, std::vector<Span>> host_by_thread;
  std::map<std::string, OpTime> host, device;
  for (size_t i = 0; i < names.size(); ++i) {
    const auto& e = result->events()[i];
    if (e.deviceType() == c10::DeviceType::CPU) {
      if (e.endNs() > e.startNs())
        host_by_thread[e.startThreadId()].push_back({e.startNs(), e.endNs(), &names[i]});
    } else {  // kernels, copies and fills on the GPU
      add(device, names[i], static_cast<double>(e.durationNs()) / 1e6, 1);
    }
  }
  for (auto& [thread, spans] : host_by_thread) add_self_times(std::move(spans), host);
  out.host_ops = sorted(host);
  out.device_kernels = sorted(device);
  return out;
}

}  // namespace mae
