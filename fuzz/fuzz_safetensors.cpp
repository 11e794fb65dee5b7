// Why: checkpoints come from the web. Reading one as safetensors, as our checkpoint format
// and as a model file must end in a result or a CheckpointError.
#include <cstdint>

#include "fuzz_input_file.h"
#include "io/checkpoint.h"
#include "io/model_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = mae::fuzz::write_input(data, size, "input.safetensors");
  try {
    auto content = mae::read_safetensors(path);
    mae::checkpoint_from_content(std::move(content), path);
  } catch (const mae::CheckpointError&) {
  }
  try {
    mae::read_model_file(path);
  } catch (const mae::CheckpointError&) {
  }
  return 0;
}
