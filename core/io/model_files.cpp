// Why: see model_files.h.
#include "io/model_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/checkpoint.h"
#include "io/hf_vitmae.h"

namespace mae {

namespace {

ModelFile read_hf_folder(const std::filesystem::path& dir) {
  std::ifstream in(dir / "config.json");
  std::stringstream text;
  text << in.rdbuf();
  ModelFile file;
  file.format = "hugging-face";
  file.config = config_from_hf_json(text.str());
  const auto weights = dir / "model.safetensors";
  if (!std::filesystem::exists(weights)) {
    throw CheckpointError("'" + dir.string() + "' has no model.safetensors" +
                          (std::filesystem::exists(dir / "pytorch_model.bin")
                               ? " (pytorch_model.bin is not read yet; re-save with safe_serialization=True)"
                               : ""));
  }
  file.tensors = from_hf_names(read_safetensors(weights.string()).tensors);
  return file;
}

}  // namespace

ModelFile read_model_file(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path p(path);
  if (is_hf_folder(path)) return read_hf_folder(p);
  if (p.filename() == "config.json" && is_hf_folder(p.parent_path().string()))
    return read_hf_folder(p.parent_path());
  if (p.extension() == ".safetensors" && fs::exists(p.parent_path() / "config.json", ec)) {
    const auto meta = read_safetensors(path).metadata;
    if (meta.count("format") && meta.at("format") != "mae-studio-checkpoint")
      return read_hf_folder(p.parent_path());
  }
  auto loaded = read_checkpoint(path);
  ModelFile file;
  file.format = "mae-studio";
  file.config = loaded.info.model;
  file.step = loaded.info.step;
  file.loss = loaded.info.loss;
  for (auto& [name, t] : loaded.content.tensors)
    if (name.rfind("optimizer.", 0) != 0) file.tensors.emplace_back(name, t);
  return file;
}

MaeModel build_model(const ModelFile& file, const std::string& device) {
  MaeModel model(file.config);
  load_weights(model, SafetensorsContent{file.tensors, {}});
  model->to(at::Device(device));
  model->eval();
  return model;
}

}  // namespace mae
