// Why: the fields in the order a user changes them, most telling first (the model, the data,
// the masking), so that the legend's few words name what was being tried.
#include "recipe/recipe_difference.h"

#include <cmath>
#include <cstdio>
#include <vector>

#include "model/masking.h"
#include "util/file_names.h"

namespace mae {

namespace {

template <typename... Args>
std::string format(const char* pattern, Args... args) {
  char text[160];
  std::snprintf(text, sizeof text, pattern, args...);
  return text;
}

bool differ(double a, double b) { return std::abs(a - b) > 1e-12 * std::max(1.0, std::abs(b)); }

// The precision at which `a` and `b` print apart (so that 1.5e-4 against 1.6e-4 shows both).
std::string number(double a, double b, const char* fixed) {
  const auto text = format(fixed, a);
  return text != format(fixed, b) ? text : format("%.6g", a);
}

}  // namespace

std::string recipe_difference(const Recipe& run, const Recipe& other, int max_fields) {
  const auto &m = run.model, &om = other.model;
  const auto &t = run.train, &ot = other.train;
  std::vector<std::string> fields;
  if (m.preset != om.preset) fields.push_back(m.preset);
  if (t.data != ot.data) fields.push_back("data " + last_name(t.data));
  if (differ(t.mask_ratio, ot.mask_ratio))
    fields.push_back("ratio " + number(t.mask_ratio, ot.mask_ratio, "%.2f"));
  if (t.mask_strategy != ot.mask_strategy)
    fields.push_back(to_string(t.mask_strategy) + " masking");
  if (m.norm_pix_loss != om.norm_pix_loss)
    fields.emplace_back(m.norm_pix_loss ? "norm_pix on" : "norm_pix off");
  if (t.effective_batch() != ot.effective_batch())
    fields.push_back(format("batch %lld", static_cast<long long>(t.effective_batch())));
  // The base lr, which the batch scales (a changed batch alone is not a changed lr), unless
  // a run set its lr outright.
  if (t.lr > 0 || ot.lr > 0) {
    if (differ(t.peak_lr(), ot.peak_lr()))
      fields.push_back("lr " + number(t.peak_lr(), ot.peak_lr(), "%.1e"));
  } else if (differ(t.base_lr, ot.base_lr)) {
    fields.push_back("base lr " + number(t.base_lr, ot.base_lr, "%.1e"));
  }
  if (t.total_steps != ot.total_steps)
    fields.push_back(format("%lld steps", static_cast<long long>(t.total_steps)));
  if (t.warmup_steps != ot.warmup_steps)
    fields.push_back(format("warmup %lld", static_cast<long long>(t.warmup_steps)));
  if (differ(t.crop_scale_min, ot.crop_scale_min))
    fields.push_back("crop min " + number(t.crop_scale_min, ot.crop_scale_min, "%.2f"));
  if (differ(t.weight_decay, ot.weight_decay))
    fields.push_back("weight decay " + number(t.weight_decay, ot.weight_decay, "%.2f"));
  if (t.hflip != ot.hflip) fields.emplace_back(t.hflip ? "flips" : "no flips");
  if (t.device != ot.device) fields.push_back("on " + t.device);
  if (t.autocasts() != ot.autocasts()) fields.emplace_back(t.autocasts() ? "bf16" : "fp32");
  if (t.seed != ot.seed)
    fields.push_back(format("seed %llu", static_cast<unsigned long long>(t.seed)));
  if (fields.empty()) return "same recipe";
  std::string text;
  const size_t shown = std::min(fields.size(), static_cast<size_t>(std::max(1, max_fields)));
  for (size_t i = 0; i < shown; ++i) text += (i ? ", " : "") + fields[i];
  if (fields.size() > shown) text += format(" and %zu more", fields.size() - shown);
  return text;
}

}  // namespace mae
