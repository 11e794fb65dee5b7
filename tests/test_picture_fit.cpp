// Why: the explorer's model input is made from the picture's bytes a band of rows at a time;
// these checks hold it to the whole picture resized in one call bit for bit (in 8 bits for
// bytes, as PIL resizes them), for the shapes that take each of the resize's branches and for
// bands that do not divide the height, and to PIL's own result for a photo-like picture, as
// the explorer shows it and as `mae eval` and the probe measure it.
#include <ATen/ATen.h>
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "analysis/probe_data.h"
#include "data/augment.h"
#include "data/channel_convert.h"
#include "data/dataset.h"
#include "data/image_io.h"
#include "data/photo_decode.h"
#include "data/picture_fit.h"
#include "model/presets.h"
#include "synthetic_dataset.h"
#include "test_support.h"

using namespace mae;

namespace {

at::Tensor random_bytes(int64_t c, int64_t h, int64_t w, uint64_t seed) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::randint(0, 256, {c, h, w}, generator, at::TensorOptions().dtype(at::kByte));
}

// A float picture: the whole of it converted, then fitted.
at::Tensor whole_picture_fit(const at::Tensor& picture, int64_t channels, int64_t h, int64_t w) {
  return resize_center_crop(convert_channels(to_unit(picture), channels), h, w);
}

// Bytes: the whole picture made gray as the decoders make it (where the model is gray),
// resized in 8 bits in one call, cropped, then floats.
at::Tensor whole_bytes_fit(const at::Tensor& bytes, int64_t channels, int64_t h, int64_t w) {
  auto samples = bytes;
  if (bytes.size(0) == 3 && channels == 1) {
    const auto interleaved = bytes.permute({1, 2, 0}).contiguous();
    samples = at::empty({1, bytes.size(1), bytes.size(2)}, bytes.options());
    convert_pixel_bytes(interleaved.data_ptr<uint8_t>(), 3, samples.data_ptr<uint8_t>(), 1,
                        bytes.size(1) * bytes.size(2));
  }
  const auto [rh, rw] = covering_size(samples.size(1), samples.size(2), h, w);
  const auto covered =
      at::_upsample_bicubic2d_aa(samples.unsqueeze(0), {rh, rw}, /*align_corners=*/false)
          .squeeze(0);
  return convert_channels(to_unit(centre_crop(covered, h, w)), channels);
}

}  // namespace

TEST_CASE("a picture fitted a band of rows at a time is the whole-picture fit, bit for bit") {
  struct Shape {
    int64_t h, w, out_h, out_w;
  };
  const std::vector<Shape> shapes = {
      {301, 457, 28, 28},  // both sides shrink
      {457, 301, 64, 64},  // portrait
      {20, 13, 28, 28},    // both sides grow
      {64, 200, 64, 64},   // the height already fits: the width pass alone
      {300, 64, 64, 64},   // the width already fits: the height pass alone
      {64, 64, 64, 64},    // nothing to resize
      {90, 64, 64, 64},    // cropped only
      {50, 70, 32, 48}};   // a model that is not square
  uint64_t seed = 1;
  for (const auto& s : shapes)
    for (const int64_t source_channels : {1, 3})
      for (const int64_t channels : {1, 3})
        for (const int64_t band_rows : {1, 7, 0}) {
          CAPTURE(s.h);
          CAPTURE(s.w);
          CAPTURE(source_channels);
          CAPTURE(channels);
          CAPTURE(band_rows);
          const auto bytes = random_bytes(source_channels, s.h, s.w, seed++);
          const auto fitted = fit_picture(bytes, channels, s.out_h, s.out_w, band_rows);
          CHECK((fitted.scalar_type() == at::kFloat));
          CHECK((fitted.sizes() == at::IntArrayRef({channels, s.out_h, s.out_w})));
          CHECK(at::equal(fitted, whole_bytes_fit(bytes, channels, s.out_h, s.out_w)));
          // A decoded picture's bytes are a (C, H, W) view over its interleaved pixels.
          const auto interleaved = bytes.permute({1, 2, 0}).contiguous().permute({2, 0, 1});
          CHECK(at::equal(fit_picture(interleaved, channels, s.out_h, s.out_w, band_rows), fitted));
          // A photo turned a quarter by EXIF is that view transposed: each row of the picture is
          // a column of the decoded pixels.
          const auto turned = bytes.permute({2, 1, 0}).contiguous().permute({2, 1, 0});
          CHECK(at::equal(fit_picture(turned, channels, s.out_h, s.out_w, band_rows), fitted));
          // A float picture (a 16-bit PNG's) takes the same way.
          const auto floats = to_unit(bytes);
          CHECK(at::equal(fit_picture(floats, channels, s.out_h, s.out_w, band_rows),
                          whole_picture_fit(floats, channels, s.out_h, s.out_w)));
        }
}

TEST_CASE("a picture kept open is its decoded bytes, and decode_image is their floats") {
  TempDir dir;
  const auto bytes = random_bytes(3, 37, 53, 99);
  save_png(dir.path("p.png"), to_unit(bytes));
  const auto png = read_bytes(dir.path("p.png"));
  const auto picture = decode_picture(png, 3);
  CHECK((picture.scalar_type() == at::kByte));
  CHECK(at::equal(picture, bytes));
  // A view of the decoded interleaved pixels, not a second copy of the photo; its floats are
  // laid out (C, H, W).
  CHECK(picture.stride(0) == 1);
  CHECK(at::equal(to_unit(picture), decode_image(png, 3)));
  CHECK(decode_image(png, 3).is_contiguous());
  CHECK(at::equal(to_unit(decode_picture(png, 1)), decode_image(png, 1)));
  CHECK(at::equal(to_unit(load_picture(dir.path("p.png"), 3)), load_image(dir.path("p.png"), 3)));
}

TEST_CASE("a picture of extreme shape is fitted from the part the crop keeps, in little memory") {
  // A 1 x 65535 picture shown to a 224-px model was resized whole first: 224 x 14.7M floats,
  // 39 GB, for a PNG of about a kilobyte.
  CHECK_FALSE(kept_part_of_oversized_cover(3000, 4000, 224, 224).has_value());
  CHECK_FALSE(kept_part_of_oversized_cover(65535, 65535, 224, 224).has_value());
  const auto kept = kept_part_of_oversized_cover(1, 65535, 224, 224);
  REQUIRE(kept.has_value());
  CHECK(kept->height == 1);
  CHECK(kept->width <= 2);
  CHECK(std::abs(kept->left + kept->width / 2.0 - 65535 / 2.0) <= 1.0);
  const auto strip = at::full({3, 1, 65535}, 200, at::TensorOptions().dtype(at::kByte));
  const auto fitted = fit_picture(strip, 3, 224, 224);
  CHECK((fitted.sizes() == at::IntArrayRef({3, 224, 224})));
  CHECK((fitted - 200.0f / 255.0f).abs().max().item<float>() < 1e-6f);
  CHECK(at::equal(fitted, resize_center_crop(to_unit(strip), 224, 224)));
  // Where the whole resize is still affordable, the two ways agree but for the part's edges.
  const auto ramp = at::linspace(0, 1, 30000).view({1, 1, 30000});
  REQUIRE(kept_part_of_oversized_cover(1, 30000, 28, 28).has_value());
  const auto [rh, rw] = covering_size(1, 30000, 28, 28);
  const auto whole = centre_crop(resize_bicubic(ramp, rh, rw), 28, 28);
  CHECK((resize_center_crop(ramp, 28, 28) - whole).abs().max().item<float>() < 1e-4f);
}

// tests/data/make_fit_fixtures.py: a photo-like PNG (gradients, hard edges, noise) and PIL's
// fit of it, as the authors' transforms make it: the shorter side resized with PIL's bicubic
// filter, then the centre cropped; for a gray model, convert("L") first.
namespace {
const std::string kFitPhoto = MAE_TEST_DATA_DIR "/fit-photo.png";

struct PilFit {
  int64_t channels, side;
  std::string fixture;
};
const PilFit kPilFits[] = {{3, 64, "-64.pil-rgb"}, {1, 28, "-28.pil-l"}};

// PIL's fit as (C, H, W) floats in levels of 255.
at::Tensor pil_levels(const PilFit& fit) {
  const auto bytes = read_bytes(MAE_TEST_DATA_DIR "/fit-photo" + fit.fixture);
  REQUIRE(bytes.size() == static_cast<size_t>(fit.channels * fit.side * fit.side));
  return at::from_blob(const_cast<uint8_t*>(bytes.data()), {fit.side, fit.side, fit.channels},
                       at::kByte)
      .permute({2, 0, 1})
      .to(at::kFloat);
}

// Within a level of PIL everywhere, and off by one on under 1 % of the samples.
void check_within_a_level(const at::Tensor& levels, const at::Tensor& pil) {
  const auto gap = (levels - pil).abs();
  CHECK(gap.max().item<float>() <= 1.0f);
  CHECK((gap > 0.5f).to(at::kFloat).mean().item<float>() < 0.01f);
}
}  // namespace

TEST_CASE("a photo is fitted to the model as PIL fits it, within a level") {
  const auto picture = load_picture(kFitPhoto, 3);
  REQUIRE((picture.scalar_type() == at::kByte));
  for (const auto& fit : kPilFits) {
    CAPTURE(fit.fixture);
    const auto pil = pil_levels(fit);
    const auto ours = fit_picture(picture, fit.channels, fit.side, fit.side).mul(255.0f);
    const auto gap = (ours - pil).abs();
    // Resizing the floats instead, as this fit did before, is off by a quarter level on average
    // (up to 5 levels in colour): unrounded, and in float arithmetic where PIL's is fixed-point.
    const auto floats = whole_picture_fit(picture, fit.channels, fit.side, fit.side).mul(255.0f);
    const float float_gap = (floats - pil).abs().max().item<float>();
    const float float_mean = (floats - pil).abs().mean().item<float>();
    MESSAGE("gap to PIL: largest " << gap.max().item<float>() << " levels, mean "
                                   << gap.mean().item<float>() << "; resizing floats: largest "
                                   << float_gap << ", mean " << float_mean);
    check_within_a_level(ours, pil);
    CHECK(float_mean > 0.1f);  // the picture tells the two ways apart
  }
}

TEST_CASE(
    "mae eval and the probe fit a folder's photos as PIL does, naming a file they cannot read") {
  TempDir dir;
  write_bytes(dir.path("a.png"), read_bytes(kFitPhoto));
  write_bytes(dir.path("b.jpg"), {'n', 'o', 't', ' ', 'a', ' ', 'J', 'P', 'E', 'G'});
  for (const auto& fit : kPilFits) {
    CAPTURE(fit.fixture);
    // Opened as `mae eval` opens a folder: each picture decoded whole.
    const auto dataset = open_dataset(dir.root, fit.channels);
    REQUIRE(dataset->size() == 2);
    const auto items = fit_items(*dataset, {0, 1}, fit.channels, fit.side, fit.side);
    REQUIRE(items.kept.size() == 1);
    CHECK(dataset->item_name(items.kept[0]).ends_with("a.png"));
    REQUIRE(items.unreadable.size() == 1);
    CHECK(items.unreadable[0].find("b.jpg") != std::string::npos);
    CHECK((items.images.sizes() == at::IntArrayRef({1, fit.channels, fit.side, fit.side})));
    check_within_a_level(items.images[0].mul(255.0f), pil_levels(fit));
  }
}

TEST_CASE("a probe and a sweep score a folder's photos as PIL fits them, each fitted once") {
  TempDir dir;
  for (const auto& fit : kPilFits) {
    CAPTURE(fit.fixture);
    const auto folder = dir.path("photos" + fit.fixture);
    for (const char* label : {"cats", "dogs"}) {
      std::filesystem::create_directories(folder + "/" + label);
      for (int i = 0; i < 5; ++i)
        write_bytes(folder + "/" + label + "/" + std::to_string(i) + ".png", read_bytes(kFitPhoto));
    }
    const auto model = find_preset(fit.channels == 3 ? "rgb-small" : "fmnist-tiny").model;
    REQUIRE(model.img_h == fit.side);
    const auto data = open_scoring_data(folder, model);
    REQUIRE(data.classes == 2);
    const std::vector<int64_t> all = {0, 1, 2, 3, 4, 5, 6, 7};
    const auto first = fit_items(*data.train, all, fit.channels, fit.side, fit.side);
    REQUIRE(first.kept == all);
    // Whole, as PIL fits the whole photo. Decoded to twice the model's side first, as the
    // probe did, the photo (203 x 157) was resized twice and missed PIL by more.
    check_within_a_level(first.images[5].mul(255.0f), pil_levels(fit));
    // Fitted once: the passes after the first read what it fitted, bit for bit.
    std::filesystem::remove_all(folder + "/cats");
    const auto again = fit_items(*data.train, all, fit.channels, fit.side, fit.side);
    CHECK(again.unreadable.empty());
    CHECK(at::equal(again.images, first.images));
  }
}

namespace {
// Pictures that take a while to decode, each noting the thread that decoded it.
class ThreadNotingDataset : public SyntheticDataset {
 public:
  using SyntheticDataset::SyntheticDataset;
  DecodedImage load_pixels(int64_t index) const override {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    {
      std::lock_guard lock(mutex_);
      threads_.insert(std::this_thread::get_id());
    }
    return SyntheticDataset::load_pixels(index);
  }
  size_t threads() const {
    std::lock_guard lock(mutex_);
    return threads_.size();
  }

 private:
  mutable std::mutex mutex_;
  mutable std::set<std::thread::id> threads_;
};
}  // namespace

TEST_CASE("a folder's pictures are fitted on more than one thread, in their order") {
  // at::parallel_for is inline: built without OpenMP, fit_items ran on one thread.
  const int before = at::get_num_threads();
  at::set_num_threads(2);
  ThreadNotingDataset dataset(8, 3, 40);
  const std::vector<int64_t> indices = {7, 0, 5, 2, 3, 6, 1, 4};
  const auto items = fit_items(dataset, indices, 3, 32, 32);
  at::set_num_threads(before);
  CHECK(dataset.threads() >= 2);
  CHECK(items.kept == indices);
  for (size_t k = 0; k < indices.size(); ++k)
    CHECK(at::equal(items.images[static_cast<int64_t>(k)],
                    fit_picture(dataset.load_decoded(indices[k]), 3, 32, 32)));
}
