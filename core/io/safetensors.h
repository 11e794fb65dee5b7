// Why: our checkpoint format, and Hugging Face's. A safetensors file is an 8-byte header
// length, a JSON header (dtype, shape, byte range per tensor, plus a string metadata map)
// and raw little-endian data. Reading validates every range before touching data.
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace mae {

class CheckpointError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

struct SafetensorsContent {
  NamedTensors tensors;  // in file order
  std::map<std::string, std::string> metadata;
  const at::Tensor* find(const std::string& name) const;
};

// Writes atomically (temporary file + rename). Tensors are copied to contiguous CPU memory.
void write_safetensors(const std::string& path, const NamedTensors& tensors,
                       const std::map<std::string, std::string>& metadata);
// Throws CheckpointError naming the problem (missing file, truncated, bad header, ...).
SafetensorsContent read_safetensors(const std::string& path);
// Only the tensors `wanted` names; the others' entries are checked as well, their bytes not
// read (a training checkpoint's optimizer state is twice the size of its weights).
SafetensorsContent read_safetensors(const std::string& path,
                                    const std::function<bool(const std::string&)>& wanted);
// The metadata only, after the same checks; no tensor is read.
SafetensorsContent read_safetensors_header(const std::string& path);

}  // namespace mae
