// Why: nlohmann converts a JSON float to an integer with a plain cast, which is undefined
// behaviour when the value does not fit (fuzz_safetensors found 1.9e23 as a data offset).
// Every integer read from a user's file goes through these, which accept integers only.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace mae {

// The value as int64, or std::invalid_argument naming `what` when it is not a JSON integer
// that fits.
inline int64_t json_integer(const nlohmann::json& value, const std::string& what) {
  if (value.is_number_unsigned() && value.get<uint64_t>() > uint64_t{INT64_MAX})
    throw std::invalid_argument(what + " is too large");
  if (!value.is_number_integer()) throw std::invalid_argument(what + " is not a whole number");
  return value.get<int64_t>();
}

// object[key] as int64 when present, else `fallback`.
inline int64_t json_integer_or(const nlohmann::json& object, const char* key, int64_t fallback) {
  if (!object.is_object() || !object.contains(key)) return fallback;
  return json_integer(object.at(key), key);
}

// A JSON array of integers.
inline std::vector<int64_t> json_integers(const nlohmann::json& value, const std::string& what) {
  if (!value.is_array()) throw std::invalid_argument(what + " is not a list");
  std::vector<int64_t> out;
  for (const auto& item : value) out.push_back(json_integer(item, what));
  return out;
}

}  // namespace mae
