// Why: the app shows what a model file records, which depends on its layout, on the UI thread
// and in the inference worker's header; this names the layouts without model_files.h's torch.
#pragma once

#include <string>

namespace mae {

// The layouts we open. Only ours records the training step and loss.
enum class ModelFormat { MaeStudio, HuggingFace, AuthorsPth };
std::string to_string(ModelFormat format);  // "mae-studio", "hugging-face", "authors-pth"
bool records_step(ModelFormat format);

}  // namespace mae
