// Why: a .pth is a zip of a pickle and raw storages. The zip layer, inflation, storage
// loading and the model-file logic on top (architecture inference) must never crash.
#include <cstdint>

#include "fuzz_input_file.h"
#include "io/model_files.h"
#include "io/torch_pickle.h"
#include "io/zip_archive.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = mae::fuzz::write_input(data, size, "input.pth");
  try {
    mae::ZipReader zip(path);
    for (const auto& name : zip.names()) zip.read(name);
  } catch (const mae::CheckpointError&) {
  }
  try {
    mae::read_model_file(path);
  } catch (const mae::CheckpointError&) {
  }
  return 0;
}
