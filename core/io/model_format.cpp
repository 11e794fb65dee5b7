// Why: these names are what `mae info` prints and scripts may match; one switch keeps them in
// step with the enum.
#include "io/model_format.h"

namespace mae {

std::string to_string(ModelFormat format) {
  switch (format) {
    case ModelFormat::MaeStudio:
      return "mae-studio";
    case ModelFormat::HuggingFace:
      return "hugging-face";
    case ModelFormat::AuthorsPth:
      return "authors-pth";
  }
  return "";
}

bool records_step(ModelFormat format) { return format == ModelFormat::MaeStudio; }

}  // namespace mae
