// Why: the header's size and depth are capped before it is parsed, and every tensor's range is
// checked against the file's size, so a hostile header can make us neither allocate nor read out of
// bounds.
#include "io/safetensors.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "io/checkpoint_file.h"
#include "util/atomic_file.h"
#include "util/json_nesting.h"
#include "util/json_numbers.h"
#include "util/read_progress.h"

namespace mae {

namespace {

struct DtypeName {
  at::ScalarType type;
  const char* name;
};
constexpr DtypeName kDtypes[] = {{at::kDouble, "F64"},    {at::kFloat, "F32"}, {at::kHalf, "F16"},
                                 {at::kBFloat16, "BF16"}, {at::kLong, "I64"},  {at::kInt, "I32"},
                                 {at::kShort, "I16"},     {at::kChar, "I8"},   {at::kByte, "U8"},
                                 {at::kBool, "BOOL"}};

const char* dtype_name(at::ScalarType type) {
  for (const auto& d : kDtypes)
    if (d.type == type) return d.name;
  throw CheckpointError(std::string("cannot store dtype ") + at::toString(type));
}

at::ScalarType dtype_from_name(const std::string& name) {
  for (const auto& d : kDtypes)
    if (name == d.name) return d.type;
  throw CheckpointError("unsupported tensor dtype '" + name + "'");
}

// Real headers are kilobytes (ViT-Huge's is 60 KiB); a parsed JSON costs about ten times its
// text, so the cap keeps a hostile header under a few hundred MiB.
constexpr uint64_t kMaxHeaderBytes = uint64_t{16} << 20;
constexpr size_t kMaxTensors = 100000;
// A real header is {name: {dtype, shape: [...], data_offsets: [...]}}: three levels.
constexpr int kMaxHeaderNesting = 8;

constexpr uint64_t kMaxFileBytes = uint64_t{64} << 30;

}  // namespace

const at::Tensor* SafetensorsContent::find(const std::string& name) const {
  for (const auto& [n, t] : tensors)
    if (n == name) return &t;
  return nullptr;
}

void write_safetensors(const std::string& path, const NamedTensors& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header;
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<at::Tensor> blobs;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    auto cpu = tensor.detach().to(at::kCPU).contiguous();
    const uint64_t bytes = static_cast<uint64_t>(cpu.numel()) * cpu.element_size();
    header[name] = {{"dtype", dtype_name(cpu.scalar_type())},
                    {"shape", cpu.sizes().vec()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    blobs.push_back(cpu);
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  const uint64_t length = text.size();
  write_file_atomically(path, [&](std::FILE* f) {
    uint8_t le[8];
    for (int i = 0; i < 8; ++i) le[i] = static_cast<uint8_t>(length >> (8 * i));
    write_all(f, le, 8);
    write_all(f, text.data(), text.size());
    for (const auto& b : blobs)
      write_all(f, b.data_ptr(), static_cast<size_t>(b.numel()) * b.element_size());
  });
}

namespace {

// `wanted` null: every tensor.
SafetensorsContent read_file(const std::string& path, bool with_tensors,
                             const std::function<bool(const std::string&)>* wanted) {
  const auto file = open_checkpoint_file(path, kMaxFileBytes);
  const auto read_at = [&](uint64_t offset, void* dest, size_t n) {
    read_checkpoint_bytes(*file, offset, dest, n);
  };
  const uint64_t file_size = file->size();
  if (file_size < 8) throw CheckpointError("'" + path + "' is too short to be a safetensors file");
  uint8_t le[8];
  read_at(0, le, 8);
  uint64_t header_len = 0;
  for (int i = 0; i < 8; ++i) header_len |= uint64_t{le[i]} << (8 * i);
  if (header_len > kMaxHeaderBytes || header_len > file_size - 8)
    throw CheckpointError("'" + path + "' is not a safetensors file (bad header length)");
  std::string header_text(header_len, '\0');
  read_at(8, header_text.data(), header_len);
  const char* text = header_text.data();
  if (json_nesting(text, header_len) > kMaxHeaderNesting)
    throw CheckpointError("'" + path + "' has a safetensors header nested deeper than " +
                          std::to_string(kMaxHeaderNesting));
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text, text + header_len);
  } catch (const nlohmann::json::exception&) {
    throw CheckpointError("'" + path + "' has a corrupt safetensors header");
  }
  if (!header.is_object()) throw CheckpointError("'" + path + "' has a corrupt header");
  if (header.size() > kMaxTensors)
    throw CheckpointError("'" + path + "' lists " + std::to_string(header.size()) +
                          " tensors, more than the limit of " + std::to_string(kMaxTensors));
  const uint64_t data_start = 8 + header_len;
  const uint64_t data_size = file_size - 8 - header_len;

  SafetensorsContent content;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object())
        throw CheckpointError("'" + path + "' has a __metadata__ entry that is not a map");
      for (auto m = it->begin(); m != it->end(); ++m)
        if (m->is_string()) content.metadata[m.key()] = m->get<std::string>();
      continue;
    }
    const auto bad = [&](const std::string& what) {
      return CheckpointError("'" + path + "' has a bad entry for '" + it.key() + "': " + what);
    };
    if (!it->is_object()) throw bad("not a tensor description");
    at::ScalarType type;
    std::vector<int64_t> shape;
    std::vector<uint64_t> range;
    try {
      type = dtype_from_name(it->at("dtype").get<std::string>());
      shape = json_integers(it->at("shape"), "shape");
      for (int64_t offset : json_integers(it->at("data_offsets"), "data_offsets")) {
        if (offset < 0) throw std::invalid_argument("negative data offset");
        range.push_back(static_cast<uint64_t>(offset));
      }
    } catch (const nlohmann::json::exception&) {
      throw bad("dtype, shape and data_offsets must be a string and two lists of integers");
    } catch (const std::invalid_argument& e) {
      throw bad(e.what());
    }
    if (shape.size() > 8) throw bad(std::to_string(shape.size()) + " dimensions");
    uint64_t numel = 1;
    for (auto s : shape) {
      if (s < 0 || static_cast<uint64_t>(s) > data_size)
        throw bad("dimension " + std::to_string(s) + " does not fit the file");
      if (s != 0 && numel > data_size / static_cast<uint64_t>(s))
        throw bad("shape larger than the file");
      numel *= static_cast<uint64_t>(s);
    }
    const uint64_t bytes = numel * at::elementSize(type);
    if (range.size() != 2 || range[0] > range[1] || range[1] > data_size ||
        range[1] - range[0] != bytes)
      throw CheckpointError("'" + path + "' is truncated or corrupt: tensor '" + it.key() +
                            "' lies outside the file");
    if (!with_tensors || (wanted && !(*wanted)(it.key()))) continue;
    auto t = at::empty(shape, at::TensorOptions().dtype(type));
    if (bytes > 0) read_at(data_start + range[0], t.data_ptr(), bytes);
    content.tensors.emplace_back(it.key(), t);
    count_tensor_read();
  }
  return content;
}

}  // namespace

SafetensorsContent read_safetensors(const std::string& path) {
  return read_file(path, true, nullptr);
}

SafetensorsContent read_safetensors(const std::string& path,
                                    const std::function<bool(const std::string&)>& wanted) {
  return read_file(path, true, &wanted);
}

SafetensorsContent read_safetensors_header(const std::string& path) {
  return read_file(path, false, nullptr);
}

}  // namespace mae
