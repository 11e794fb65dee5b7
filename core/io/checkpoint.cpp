// Why: the configs are JSON in the safetensors metadata, so one file holds the weights and
// everything needed to rebuild the model and resume the run.
#include "io/checkpoint.h"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <charconv>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "util/one_line_error.h"
#include "util/run_id.h"

namespace mae {

namespace {
constexpr const char* kFormat = "mae-studio-checkpoint";
}

NamedTensors model_state(MaeModel& model) {
  NamedTensors out;
  for (const auto& p : model->named_parameters()) out.emplace_back(p.key(), p.value());
  for (const auto& b : model->named_buffers()) out.emplace_back(b.key(), b.value());
  return out;
}

void save_checkpoint(const std::string& path, MaeModel& model, const NamedTensors& optimizer,
                     const TrainConfig* train, int64_t step, double loss,
                     at::ScalarType weight_dtype, uint64_t run) {
  NamedTensors tensors;
  for (const auto& p : model->named_parameters())
    tensors.emplace_back(p.key(), p.value().to(weight_dtype));
  for (const auto& b : model->named_buffers()) tensors.emplace_back(b.key(), b.value());
  tensors.insert(tensors.end(), optimizer.begin(), optimizer.end());
  std::map<std::string, std::string> meta = {{"format", kFormat},
                                             {"version", "1"},
                                             {"model_config", model->config().to_json()},
                                             {"step", std::to_string(step)},
                                             {"loss", nlohmann::json(loss).dump()}};
  if (run != 0) meta["run"] = run_id_text(run);
  if (train) {
    meta["train_config"] = train->to_json();
    // All randomness after initialization is drawn from generators seeded by (seed, step):
    // data order, crops, flips and masks. That pair is the complete RNG state.
    meta["rng"] = nlohmann::json{
        {"scheme", "per-step splitmix64(seed, step)"},
        {"seed", train->seed},
        {"next_step",
         step}}.dump();
  }
  write_safetensors(path, tensors, meta);
}

LoadedCheckpoint read_checkpoint(const std::string& path) {
  return checkpoint_from_content(read_safetensors(path), path);
}

CheckpointInfo read_checkpoint_info(const std::string& path) {
  return checkpoint_from_content(read_safetensors_header(path), path).info;
}

LoadedCheckpoint checkpoint_from_content(SafetensorsContent content, const std::string& path) {
  LoadedCheckpoint out;
  out.content = std::move(content);
  const auto& meta = out.content.metadata;
  auto format = meta.find("format");
  if (format == meta.end() || format->second != kFormat)
    throw CheckpointError("'" + path + "' is a safetensors file but not a MAE Studio checkpoint");
  try {
    const auto field = [&](const char* name) -> const std::string& {
      const auto it = meta.find(name);
      if (it == meta.end()) throw std::invalid_argument(std::string("no '") + name + "' entry");
      return it->second;
    };
    out.info.model = MaeConfig::from_json(field("model_config"));
    const std::string& step = field("step");
    const auto parsed = std::from_chars(step.data(), step.data() + step.size(), out.info.step);
    if (parsed.ec != std::errc() || parsed.ptr != step.data() + step.size() || out.info.step < 0 ||
        out.info.step > (int64_t{1} << 40))
      throw std::invalid_argument("step '" + step.substr(0, 32) +
                                  "' is not a whole number in 0..2^40");
    out.info.loss = nlohmann::json::parse(field("loss")).get<double>();
    if (auto t = meta.find("train_config"); t != meta.end())
      out.info.train = TrainConfig::from_json(t->second);
    if (auto r = meta.find("run"); r != meta.end()) {
      const auto run = parse_run_id(r->second);
      if (!run)
        throw std::invalid_argument("run '" + r->second.substr(0, 32) + "' is not 16 hex digits");
      out.info.run = *run;
    }
  } catch (const std::exception& e) {
    throw CheckpointError("'" + path + "' has unreadable metadata: " + one_line_error(e));
  }
  return out;
}

void load_weights(MaeModel& model, const SafetensorsContent& content) {
  torch::NoGradGuard no_grad;
  std::string problems;
  int count = 0;
  for (auto& [name, target] : model_state(model)) {
    const auto* source = content.find(name);
    std::string problem;
    if (!source)
      problem = name + " missing";
    else if (!source->sizes().equals(target.sizes()))
      problem = name + " has shape " + c10::str(source->sizes()) + ", model expects " +
                c10::str(target.sizes());
    if (problem.empty()) {
      target.copy_(*source);  // copy_ converts device and dtype itself
    } else if (++count <= 5) {
      problems += (problems.empty() ? "" : "; ") + problem;
    }
  }
  if (count > 0)
    throw CheckpointError("checkpoint does not fit the model (" + std::to_string(count) +
                          (count == 1 ? " tensor): " : " tensors): ") + problems);
}

}  // namespace mae
