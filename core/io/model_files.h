// Why: users bring weights in several formats; every command and the app open them through
// this one function, which recognises the format and returns the architecture and the
// tensors under our (the authors') names.
#pragma once

#include <optional>
#include <string>

#include "io/model_format.h"
#include "io/safetensors.h"
#include "model/mae_model.h"
#include "recipe/train_config.h"

namespace mae {

struct ModelFile {
  std::string path;  // as it was given to read_model_file: errors about the file name it
  MaeConfig config;
  NamedTensors tensors;  // our names
  int64_t step = 0;
  double loss = 0.0;
  ModelFormat format = ModelFormat::MaeStudio;
  bool has_decoder = true;
  bool norm_pix_guessed = false;  // norm_pix_loss guessed from an authors' file name
  // The mask ratio the model was trained with, where the file says (our training state,
  // Hugging Face's config.json, the authors' saved args); commands default to it.
  std::optional<double> trained_mask_ratio;
  // Our checkpoints that hold a training state: the run's recipe, so it can be continued.
  std::optional<TrainConfig> train;
  std::string note;  // how the architecture was decided, and any limitation
  // A problem of the weights that does not stop their use, in one line naming the file: values
  // that are NaN or infinite (nonfinite_weights.h). Commands and the app show it.
  std::string warning;
};

// A MAE Studio checkpoint (.safetensors), a Hugging Face ViTMAE folder (config.json +
// model.safetensors or pytorch_model.bin; the folder or one of its files may be named), or
// a torch.save .pth with the authors' names (plain, OrderedDict, or a training checkpoint).
// Throws CheckpointError saying what the file is and why it cannot be used.
ModelFile read_model_file(const std::string& path);

// The file's training mask ratio, else the paper's 0.75.
double default_mask_ratio(const ModelFile& file);

// Builds the model the file describes, with its weights, in eval mode on `device`.
// Throws CheckpointError for encoder-only files (they cannot reconstruct).
MaeModel build_model(const ModelFile& file, const std::string& device);

// The same for what reads the encoder alone (the probe), which an encoder-only file also
// gives: the authors' mae_pretrain_vit_*.pth, the weights their linear probing starts from.
// Such a file's decoder is left as initialised, and must not be used.
MaeModel build_encoder(const ModelFile& file, const std::string& device);

}  // namespace mae
