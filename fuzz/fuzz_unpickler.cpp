// Why: the restricted unpickler is the part of .pth reading that interprets a program; it
// alone, without the zip around it, must stay inside its budgets and never crash.
#include <cstdint>
#include <vector>

#include "io/torch_pickle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes(data, data + size);
  try {
    auto root = mae::unpickle_with_zero_storages(bytes, 1 << 16);
    std::string under;
    mae::state_dict_of(root, &under);
    mae::root_string(root, "model_config");
  } catch (const mae::CheckpointError&) {
  }
  return 0;
}
