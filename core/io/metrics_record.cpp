// Why: the fields and their JSON names in one place, for the line written and the line read.
// A reader takes what it knows from a record and ignores the rest, so a newer writer's extra
// fields never break an older app watching its run.
#include "io/metrics_record.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "util/json_nesting.h"
#include "util/run_id.h"

namespace mae {

std::string metrics_line(const StepMetrics& m) {
  auto line = nlohmann::json{{"step", m.step},
                             {"loss", m.nonfinite ? nlohmann::json() : nlohmann::json(m.loss)},
                             {"lr", m.lr},
                             {"images_per_sec", m.images_per_sec},
                             {"step_ms", m.step_ms},
                             {"allreduce_ms", m.allreduce_ms},
                             {"data_wait_ms", m.data_wait_ms},
                             {"memory_bytes", m.memory_bytes},
                             {"nonfinite", m.nonfinite},
                             {"graphed", m.graphed},
                             {"skipped_files", m.skipped_files}};
  if (m.run != 0) line["run"] = run_id_text(m.run);
  if (m.allreduce_buckets > 0) {
    line["allreduce_buckets"] = m.allreduce_buckets;
    line["buckets_started_in_backward"] = m.buckets_started_in_backward;
  }
  return line.dump();
}

std::optional<StepMetrics> parse_metrics_line(const std::string& line) {
  if (json_nesting(line.data(), line.size()) > 2) return std::nullopt;
  const auto j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object() || !j.contains("step") || !j["step"].is_number_integer()) return std::nullopt;
  StepMetrics m;
  m.step = j["step"].is_number_unsigned() && j["step"].get<uint64_t>() > uint64_t{1} << 40
               ? int64_t{1} << 40
               : std::clamp<int64_t>(j["step"].get<int64_t>(), 0, int64_t{1} << 40);
  const auto number = [&j](const char* key) {
    return j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0.0;
  };
  // Counts come as JSON numbers of any size; casting an out-of-range double is undefined.
  const auto count = [&number](const char* key) {
    const double v = number(key);
    return v >= 0.0 && v < 9e18 ? static_cast<int64_t>(v) : int64_t{0};
  };
  const auto flag = [&j](const char* key) {
    return j.contains(key) && j[key].is_boolean() && j[key].get<bool>();
  };
  m.nonfinite = flag("nonfinite") || !j.contains("loss") || !j["loss"].is_number();
  m.loss = m.nonfinite ? std::numeric_limits<double>::quiet_NaN() : number("loss");
  m.lr = number("lr");
  m.images_per_sec = number("images_per_sec");
  m.step_ms = number("step_ms");
  m.allreduce_ms = number("allreduce_ms");
  m.data_wait_ms = number("data_wait_ms");
  m.memory_bytes = count("memory_bytes");
  m.skipped_files = count("skipped_files");
  m.allreduce_buckets = count("allreduce_buckets");
  m.buckets_started_in_backward = count("buckets_started_in_backward");
  m.graphed = flag("graphed");
  if (j.contains("run") && j["run"].is_string())
    m.run = parse_run_id(j["run"].get<std::string>()).value_or(0);
  return m;
}

namespace {

// Calls `keep(line_bytes, record)` for each whole line of `path` up to the first whose step is
// past `step` (no record for a line that is not one). A partial last line (a run killed
// mid-write) is not whole.
template <class Keep>
void lines_through_step(const std::string& path, int64_t step, Keep&& keep) {
  std::ifstream in(path, std::ios::binary);
  for (std::string line; std::getline(in, line) && !in.eof();) {
    const auto m = parse_metrics_line(line);
    if (m && m->step > step) break;
    keep(line.size() + 1, m);
  }
}

// What tells whose a curve is, kept line by line: its last step, last finite loss and the run
// its last line names.
struct CurveEnd {
  std::optional<int64_t> step;
  std::optional<double> finite_loss;
  uint64_t run = 0;

  void add(const StepMetrics& m) {
    step = m.step;
    if (!m.nonfinite) finite_loss = m.loss;
    run = m.run;
  }
  // Whether the curve names a run other than the checkpoint's (where both name one), wherever
  // it ends.
  bool names_another_run(const CheckpointMark& mark) const {
    return run != 0 && mark.run != 0 && run != mark.run;
  }
  // Whether the curve is the checkpoint's run's: it reaches the checkpoint's step, and its last
  // finite loss is the checkpoint's (JSON keeps a double's 17 digits, but a checkpoint may
  // store its loss as a float). A run with no finite step yet has no loss to tell it by.
  bool leads_to(const CheckpointMark& mark) const {
    return step == mark.step && !names_another_run(mark) &&
           (!finite_loss ||
            std::abs(*finite_loss - mark.loss) <= 1e-6 * std::max(1.0, std::abs(mark.loss)));
  }
};

// The first of "<stem>-other-run<ext>", "<stem>-other-run-2<ext>", ... beside `path` that is
// not there.
std::filesystem::path free_other_run_name(const std::filesystem::path& path) {
  constexpr int kTries = 99;
  for (int n = 1; n <= kTries; ++n) {
    const auto suffix = n == 1 ? std::string("-other-run") : "-other-run-" + std::to_string(n);
    const auto candidate =
        path.parent_path() / (path.stem().string() + suffix + path.extension().string());
    std::error_code ec;
    if (!std::filesystem::exists(candidate, ec) && !ec) return candidate;
  }
  throw std::runtime_error(path.string() + " holds another run's curve, and " +
                           std::to_string(kTries) + " such curves are kept beside it already");
}

}  // namespace

std::vector<StepMetrics> curve_to_checkpoint(const std::string& path, const CheckpointMark& mark) {
  std::vector<StepMetrics> curve;
  CurveEnd end;
  lines_through_step(path, mark.step, [&](uint64_t, const std::optional<StepMetrics>& m) {
    if (!m) return;
    curve.push_back(*m);
    end.add(*m);
  });
  if (!end.leads_to(mark)) curve.clear();
  return curve;
}

MetricsLog::MetricsLog(std::string path, std::optional<CheckpointMark> resumed)
    : path_(std::move(path)), flushed_at_(std::chrono::steady_clock::now()) {
  std::error_code ec;
  bool keep = resumed.has_value();
  if (resumed && std::filesystem::exists(path_, ec)) {
    uint64_t kept_bytes = 0;
    CurveEnd kept;
    lines_through_step(path_, resumed->step,
                       [&](uint64_t bytes, const std::optional<StepMetrics>& m) {
                         kept_bytes += bytes;
                         if (m) kept.add(*m);
                       });
    // A file that ends before the step may be this run's, cut short (a disk that filled, a
    // kill between the save and the line): it goes on, unless its lines name another run. One
    // that contradicts it does not.
    const bool other_run = kept.names_another_run(*resumed) ||
                           (kept.step == resumed->step && !kept.leads_to(*resumed));
    if (other_run) {
      const auto aside = free_other_run_name(path_);
      std::filesystem::rename(path_, aside, ec);
      if (ec)
        throw std::runtime_error("cannot move " + path_ +
                                 ", another run's curve, aside: " + ec.message());
      moved_aside_ = path_ + " held another run's curve: it is kept as " + aside.string() +
                     ", and this run's curve starts over";
      keep = false;
    } else {
      std::filesystem::resize_file(path_, kept_bytes, ec);
      saved_step_ = buffered_step_ = kept.step;
    }
  }
  errno = 0;
  file_.open(path_, keep ? std::ios::app : std::ios::trunc);
  if (!file_)
    throw std::runtime_error("cannot write " + path_ +
                             (errno ? std::string(": ") + std::strerror(errno) : std::string()));
}

MetricsLog::~MetricsLog() { flush(); }

void MetricsLog::write(const StepMetrics& m) {
  if (failed_) return;
  file_ << metrics_line(m) << '\n';
  buffered_step_ = m.step;
  const auto now = std::chrono::steady_clock::now();
  if (now - flushed_at_ >= std::chrono::seconds(1)) {
    flushed_at_ = now;
    flush();
  } else if (!file_.good()) {
    failed_ = true;
  }
}

void MetricsLog::flush() {
  if (failed_) return;
  file_.flush();
  if (file_.good())
    saved_step_ = buffered_step_;
  else
    failed_ = true;
}

std::optional<std::string> MetricsLog::new_failure() {
  if (!failed_ || failure_told_) return std::nullopt;
  failure_told_ = true;
  return failure();
}

std::string MetricsLog::failure() const {
  return "cannot write " + path_ + " (disk full?): " +
         (saved_step_ ? "the saved curve ends at step " + std::to_string(*saved_step_)
                      : std::string("no step of this run's curve is saved"));
}

}  // namespace mae
