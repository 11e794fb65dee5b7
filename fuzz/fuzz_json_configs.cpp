// Why: configs are JSON from files (our checkpoint metadata, Hugging Face's config.json), and
// a watched run folder's metrics.jsonl comes from another process. Every config parser must
// refuse bad types, ranges and sizes with an exception of its own kind; a metrics line is
// read or skipped, never thrown on.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "io/hf_vitmae.h"
#include "io/metrics_record.h"
#include "model/config.h"
#include "recipe/train_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    mae::MaeConfig::from_json(text);
  } catch (const std::invalid_argument&) {
  }
  try {
    mae::TrainConfig::from_json(text);
  } catch (const std::invalid_argument&) {
  }
  try {
    mae::config_from_hf_json(text);
  } catch (const mae::CheckpointError&) {
  }
  mae::mask_ratio_from_hf_json(text);
  mae::parse_metrics_line(text);
  return 0;
}
