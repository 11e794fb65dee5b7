// Why: a one-folder hold-out takes every fifth item by position, so each class loses the same share
// and the split is the same on every run, with no seed.
#include "analysis/probe_data.h"

#include <algorithm>
#include <filesystem>

#include "data/fitted_pictures.h"

namespace mae {

namespace {
// Every fifth item (by position, so each class sorted together loses a fifth) is the test
// split; the rest train.
class PositionSplit : public Dataset {
 public:
  PositionSplit(std::shared_ptr<const Dataset> base, bool test) : base_(std::move(base)) {
    for (int64_t i = 0; i < base_->size(); ++i)
      if ((i % 5 == 4) == test) items_.push_back(i);
    description_ = base_->description() + (test ? " (every 5th item)" : " (4 of every 5 items)");
  }
  int64_t size() const override { return static_cast<int64_t>(items_.size()); }
  int64_t channels() const override { return base_->channels(); }
  DecodedImage load_pixels(int64_t i) const override { return base_->load_pixels(at(i)); }
  int64_t label(int64_t i) const override { return base_->label(at(i)); }
  std::vector<std::string> class_names() const override { return base_->class_names(); }
  std::string description() const override { return description_; }
  void prepare(const ProgressFn& progress, std::stop_token stop) const override {
    base_->prepare(progress, stop);
  }
  // The whole folder's, both splits': prepare() decodes them all.
  std::vector<std::string> unreadable() const override { return base_->unreadable(); }

 private:
  int64_t at(int64_t i) const { return items_.at(static_cast<size_t>(i)); }
  std::shared_ptr<const Dataset> base_;
  std::vector<int64_t> items_;
  std::string description_;
};

std::string first_existing_dir(const std::string& root, std::initializer_list<const char*> names) {
  std::error_code ec;
  for (const char* name : names) {
    auto p = std::filesystem::path(root) / name;
    if (std::filesystem::is_directory(p, ec)) return p.string();
  }
  return {};
}

int64_t count_classes(const Dataset& d) {
  int64_t top = -1;
  for (int64_t i = 0; i < d.size(); ++i) {
    const int64_t label = d.label(i);
    if (label < 0)
      throw DataError(d.description() + ": item " + std::to_string(i) +
                      " has no label (a probe needs class sub-folders or a label file)");
    top = std::max(top, label);
  }
  return top + 1;
}
}  // namespace

ProbeData open_probe_data(const std::string& spec, const MaeConfig& model,
                          const DataOptions& options) {
  const int64_t channels = model.in_chans;
  ProbeData data;
  if (spec.rfind("fashion-mnist", 0) == 0) {
    data.train = open_dataset("fashion-mnist:train", channels);
    data.test = open_dataset("fashion-mnist:test", channels);
    data.how = "Fashion-MNIST train and test files";
  } else if (auto train_dir = first_existing_dir(spec, {"train"}); !train_dir.empty()) {
    const auto test_dir = first_existing_dir(spec, {"val", "test"});
    if (test_dir.empty())
      throw DataError(spec + ": has train/ but no val/ or test/ folder to score the probe on");
    data.train = open_dataset(train_dir, channels, options);
    data.test = open_dataset(test_dir, channels, options);
    if (data.train->class_names() != data.test->class_names())
      throw DataError(spec + ": train/ and " + std::filesystem::path(test_dir).filename().string() +
                      "/ have different class folders");
    data.how = "the folder's train/ and " + std::filesystem::path(test_dir).filename().string() +
               "/ sub-folders";
  } else {
    auto all = open_dataset(spec, channels, options);
    data.train = std::make_shared<PositionSplit>(all, false);
    data.test = std::make_shared<PositionSplit>(all, true);
    data.how = "every 5th item held out for testing";
  }
  data.classes = std::max(count_classes(*data.train), count_classes(*data.test));
  if (data.classes < 2)
    throw DataError(spec + ": a probe needs at least two classes, found " +
                    std::to_string(data.classes));
  data.class_names = data.train->class_names();
  return data;
}

ProbeData open_scoring_data(const std::string& spec, const MaeConfig& model) {
  DataOptions whole;
  whole.memory_budget = 0;  // the fitted pictures are kept instead
  ProbeData data = open_probe_data(spec, model, whole);
  data.train =
      std::make_shared<FittedPictures>(data.train, model.in_chans, model.img_h, model.img_w);
  data.test = std::make_shared<FittedPictures>(data.test, model.in_chans, model.img_h, model.img_w);
  return data;
}

}  // namespace mae
