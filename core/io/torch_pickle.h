// Why: the authors' weights come as torch.save archives: a Python pickle whose tensors point
// at raw storages in the same zip. This is a restricted unpickler: it understands the
// opcodes torch.save emits and rebuilds tensors, but never imports or runs anything named
// in the file; unknown classes (argparse.Namespace, optimizer internals) become inert
// placeholders. The writer emits the same format with only globals torch.load allows.
// A hostile pickle is bounded: objects, stack, memo, container elements, string bytes and
// nesting depth each have a budget, views are checked against their storage before any
// copy, and all values live in one arena, so tearing down any shape is flat.
#pragma once

#include <ATen/core/Tensor.h>

#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "io/safetensors.h"

namespace mae {

struct PickleValue {
  enum class Kind {
    None,
    Bool,
    Int,
    Float,
    String,
    Bytes,
    Tuple,
    List,
    Dict,
    Global,
    Object,
    Tensor,
    Storage,
    Mark
  };
  Kind kind = Kind::None;
  int64_t i = 0;
  double f = 0.0;
  std::string s;                          // String, Bytes, Global ("module.name"), Object class
  std::vector<const PickleValue*> items;  // Tuple, List, Object args
  std::vector<std::pair<const PickleValue*, const PickleValue*>> entries;  // Dict, Object state
  at::Tensor tensor;  // Tensor, Storage (1-D, its dtype)
  int depth = 0;      // containers nested inside this one
};

// The unpickled root. Values point at each other inside an arena that the root keeps
// alive; pointers taken from it are valid while the PickleRef is.
using PickleRef = std::shared_ptr<const PickleValue>;

// Reads `<archive>/data.pkl` from a torch.save zip and returns the unpickled root.
// Throws CheckpointError naming what could not be read.
PickleRef load_torch_archive(const std::string& path);

// Unpickles `pickle` alone, every storage it names answered by zeros (at most
// max_storage_elements each). For the fuzzer and tests of the unpickler without a zip.
PickleRef unpickle_with_zero_storages(const std::vector<uint8_t>& pickle,
                                      int64_t max_storage_elements);

// The tensors of a state dict found in the root: the dict itself, or its 'model',
// 'state_dict' or 'model_state' entry. Non-tensor entries are skipped.
NamedTensors state_dict_of(const PickleRef& root, std::string* found_under);

// Writes {"model": {name: tensor}} the way torch.save does (protocol 2, zip, stored), plus
// {extra_key: extra_value} strings when given (ignored by code that reads only 'model').
void save_torch_state_dict(const std::string& path, const NamedTensors& tensors,
                           const std::string& extra_key = "", const std::string& extra_value = "");

// The string stored under `key` in the root dict, or "" when absent.
std::string root_string(const PickleRef& root, const std::string& key);

}  // namespace mae
