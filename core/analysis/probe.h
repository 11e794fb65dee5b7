// Why: `mae probe` and the app's Probe panel answer "what did the encoder learn?" with three
// rows measured in one run on the same items: the checkpoint's encoder, the raw pixels, and
// a randomly initialised encoder of the same shape (what training added over architecture).
#pragma once

#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "analysis/linear_probe.h"
#include "analysis/probe_data.h"
#include "model/mae_model.h"

namespace mae {

struct ModelFile;

// The model a probe of `file` measures: its encoder, an encoder-only file's too, on `device`.
// Throws for weights that hold NaN or infinite values: their figures would be chance-level
// numbers that look like a measurement.
MaeModel probe_model(const ModelFile& file, const std::string& device);

struct ProbeRunOptions {
  int64_t max_train = 0;  // 0: the whole split
  int64_t max_test = 0;
  int64_t batch = 256;
  uint64_t random_encoder_seed = 1;
  bool references = true;  // also probe raw pixels and a random encoder
  ProbeOptions probe;
};

struct ProbeReport {
  int64_t train_items = 0, test_items = 0, classes = 0;
  std::vector<std::string> class_names;
  std::string split;     // how the splits were found
  std::string features;  // what a feature vector is
  ProbeScores encoder, pixels, random_encoder;
  // Items that could not be decoded, left out of every row: the file and why.
  std::vector<std::string> unreadable;
  double seconds = 0.0;
  bool cancelled = false;
};

// "features: train 40%", "linear probe", ...; fraction in [0, 1] of the whole run.
using ProbeProgressFn = std::function<void(const std::string& stage, double fraction)>;

ProbeReport run_probe(MaeModel& model, const ProbeData& data, const ProbeRunOptions& options,
                      const ProbeProgressFn& progress = {}, std::stop_token stop = {});

// The same probe on raw pixels (pixel_features) of the same items.
ProbeScores probe_pixels(const MaeConfig& config, const ProbeData& data,
                         const ProbeRunOptions& options, std::stop_token stop = {});

std::string probe_report_json(const ProbeReport& report);

}  // namespace mae
