// Why: the format is told by the file's first bytes where it can be (a zip archive), by a folder's
// config.json, and by the suffix otherwise, and every message names the file whichever reader
// failed.
#include "io/model_files.h"

#include <filesystem>
#include <fstream>

#include "io/authors_pth.h"
#include "io/checkpoint.h"
#include "io/hf_vitmae.h"
#include "io/nonfinite_weights.h"
#include "io/torch_pickle.h"
#include "model/state_shapes.h"
#include "util/file_bytes.h"
#include "util/file_names.h"

namespace mae {

namespace {

// Hugging Face's config.json files are about a kilobyte.
constexpr size_t kMaxConfigJsonBytes = size_t{1} << 20;

// A folder's config.json with tensors under HF names (already read by the caller).
ModelFile hf_model_file(const std::filesystem::path& dir, const NamedTensors& hf_tensors) {
  const auto config_path = (dir / "config.json").string();
  std::string text;
  try {
    text = read_text_file(config_path, kMaxConfigJsonBytes);
  } catch (const FileError& e) {
    throw CheckpointError(e.what());
  }
  ModelFile file;
  file.format = ModelFormat::HuggingFace;
  try {
    file.config = config_from_hf_json(text);
  } catch (const CheckpointError& e) {
    throw CheckpointError("'" + config_path + "': " + e.what());
  }
  file.trained_mask_ratio = mask_ratio_from_hf_json(text);
  try {
    file.tensors = from_hf_names(hf_tensors);
  } catch (const CheckpointError& e) {
    throw CheckpointError("'" + dir.string() + "': " + e.what());
  }
  return file;
}

ModelFile read_hf_folder(const std::filesystem::path& dir) {
  const auto weights = dir / "model.safetensors";
  const auto bin = dir / "pytorch_model.bin";
  if (std::filesystem::exists(weights))
    return hf_model_file(dir, read_safetensors(weights.string()).tensors);
  if (std::filesystem::exists(bin)) {
    std::string under;
    return hf_model_file(dir, state_dict_of(load_torch_archive(bin.string()), &under));
  }
  throw CheckpointError("'" + dir.string() +
                        "' has neither model.safetensors nor pytorch_model.bin");
}

// The saved argparse args' field `field` (an authors' training checkpoint), or null.
const PickleValue* saved_arg(const PickleRef& root, const std::string& field) {
  if (!root || root->kind != PickleValue::Kind::Dict) return nullptr;
  for (const auto& [k, v] : root->entries) {
    if (k->s != "args" || v->kind != PickleValue::Kind::Object) continue;
    for (const auto& [sk, state] : v->entries)
      for (const auto& [name, value] : state->entries)
        if (name->s == field) return value;
  }
  return nullptr;
}

// -1 unknown, else the saved argparse args' norm_pix_loss.
int saved_norm_pix(const PickleRef& root) {
  const auto* value = saved_arg(root, "norm_pix_loss");
  if (!value || value->kind != PickleValue::Kind::Bool) return -1;
  return value->i ? 1 : 0;
}

std::optional<double> saved_mask_ratio(const PickleRef& root) {
  const auto* value = saved_arg(root, "mask_ratio");
  if (!value || value->kind != PickleValue::Kind::Float || !(value->f > 0.0 && value->f < 1.0))
    return std::nullopt;
  return value->f;
}

ModelFile read_torch_file_unnamed(const std::string& path) {
  const auto root = load_torch_archive(path);
  std::string under;
  auto state = state_dict_of(root, &under);
  ModelFile file;
  for (const auto& [name, t] : state)
    if (name.rfind("vit.", 0) == 0)
      throw CheckpointError("'" + path +
                            "' holds Hugging Face names: open its folder (with config.json)");
  file.format = ModelFormat::AuthorsPth;
  const std::string where =
      under.empty() ? "state dict at the top level" : "state dict under '" + under + "'";
  if (const auto saved = root_string(root, kConfigKey); !saved.empty()) {
    file.config = MaeConfig::from_json(saved);
    file.note = where + "; config saved by MAE Studio";
  } else {
    const int norm_pix = saved_norm_pix(root);
    auto arch = infer_architecture(state, path, norm_pix);
    file.config = arch.config;
    file.has_decoder = arch.has_decoder;
    file.norm_pix_guessed = norm_pix < 0;
    file.trained_mask_ratio = saved_mask_ratio(root);
    file.note = where + "; " + arch.note;
  }
  for (auto& [name, t] : state) file.tensors.emplace_back(name, t.to(at::kFloat));
  return file;
}

// Every message names the file, whichever step found the problem.
ModelFile read_torch_file(const std::string& path) {
  try {
    return read_torch_file_unnamed(path);
  } catch (const CheckpointError& e) {
    if (std::string(e.what()).find(path) != std::string::npos) throw;
    throw CheckpointError("'" + path + "': " + e.what());
  }
}

// torch.save's files: a zip archive by its first bytes, or a torch suffix in any case (a
// legacy, pre-zip file then gets read_torch_file's message about re-saving it).
bool is_torch_file(const std::filesystem::path& p) {
  const auto ext = lower_case_extension(p.string());
  if (ext == ".pth" || ext == ".pt" || ext == ".bin") return true;
  char magic[4] = {};
  std::ifstream in(p, std::ios::binary);
  return in.read(magic, 4) && std::string(magic, 4) == "PK\x03\x04";
}

ModelFile read_model_file_unchecked(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path p(path);
  if (is_hf_folder(path)) return read_hf_folder(p);
  if (is_torch_file(p)) {
    if (p.filename() == "pytorch_model.bin" && fs::exists(p.parent_path() / "config.json", ec))
      return read_hf_folder(p.parent_path());
    return read_torch_file(path);
  }
  if (p.filename() == "config.json" && is_hf_folder(p.parent_path().string()))
    return read_hf_folder(p.parent_path());
  // Read once: a model.safetensors beside a config.json is HF's, anything else ours; a training
  // checkpoint's optimizer state, which nothing here uses, is left unread.
  auto content = read_safetensors(
      path, [](const std::string& name) { return name.rfind("optimizer.", 0) != 0; });
  const auto format = content.metadata.find("format");
  if (p.extension() == ".safetensors" && fs::exists(p.parent_path() / "config.json", ec) &&
      format != content.metadata.end() && format->second != "mae-studio-checkpoint")
    return hf_model_file(p.parent_path(), content.tensors);
  auto loaded = checkpoint_from_content(std::move(content), path);
  ModelFile file;
  file.format = ModelFormat::MaeStudio;
  file.config = loaded.info.model;
  file.step = loaded.info.step;
  file.loss = loaded.info.loss;
  if (loaded.info.train) file.trained_mask_ratio = loaded.info.train->mask_ratio;
  file.train = loaded.info.train;
  file.tensors = std::move(loaded.content.tensors);
  return file;
}

}  // namespace

ModelFile read_model_file(const std::string& path) {
  auto file = read_model_file_unchecked(path);
  file.path = path;
  file.warning = nonfinite_weights_problem(path, file.tensors);
  return file;
}

double default_mask_ratio(const ModelFile& file) { return file.trained_mask_ratio.value_or(0.75); }

MaeModel build_model(const ModelFile& file, const std::string& device) {
  if (!file.has_decoder)
    throw CheckpointError(
        "'" + file.path +
        "' is encoder-only (like mae_pretrain_vit_*.pth): it has "
        "no decoder, so it cannot reconstruct; use *_full.pth or "
        "mae_visualize_*.pth (its encoder can still be probed: mae probe, or the app's Probe)");
  // Every tensor is checked against the config before the model allocates anything.
  const std::string misfit = state_misfit(file.config, file.tensors);
  if (!misfit.empty())
    throw CheckpointError("'" + file.path + "' does not fit its model: " + misfit);
  MaeModel model(file.config, InitialWeights::Overwritten);
  load_weights(model, SafetensorsContent{file.tensors, {}});
  model->to(at::Device(device));
  model->eval();
  return model;
}

MaeModel build_encoder(const ModelFile& file, const std::string& device) {
  if (file.has_decoder) return build_model(file, device);
  // The decoder's tensors, absent from the file, as the model initialises them.
  const auto is_decoder = [](const std::string& name) {
    return name == "mask_token" || name.rfind("decoder", 0) == 0;
  };
  MaeModel model(file.config);
  NamedTensors tensors = file.tensors;
  for (const auto& [name, tensor] : model_state(model))
    if (is_decoder(name)) tensors.emplace_back(name, tensor.clone());
  const std::string misfit = state_misfit(file.config, tensors);
  if (!misfit.empty())
    throw CheckpointError("'" + file.path + "' does not fit its encoder: " + misfit);
  load_weights(model, SafetensorsContent{std::move(tensors), {}});
  model->to(at::Device(device));
  model->eval();
  return model;
}

}  // namespace mae
