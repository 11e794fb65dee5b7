// Why: with --crops-on-device the loader threads only copy out crop regions and the training
// device resizes them. That must give the batches the loader would have built itself: the
// same boxes, the same mirroring, pixel values within two levels of its 8-bit arithmetic (which
// rounds between its horizontal and vertical passes, and bicubic's lobes can double that); and
// the loader must keep delivering when packed crops outgrow its memory budget; the trainer
// must take packed crops to the same steps.
#include <doctest/doctest.h>
#include <torch/torch.h>

#include <random>
#include <stdexcept>

#include "data/augment.h"
#include "data/batch_loader.h"
#include "data/dataset.h"
#include "data/image_io.h"
#include "small_configs.h"
#include "synthetic_dataset.h"
#include "test_support.h"
#include "train/trainer.h"

using namespace mae;

namespace {

// A picture stored at (h, w) that the boxes are drawn for at (source_h, source_w), as the
// decoded-image cache keeps a shrunk photo.
DecodedImage stored_picture(int64_t h, int64_t w, int64_t source_h, int64_t source_w,
                            int64_t channels, uint64_t seed) {
  torch::manual_seed(seed);
  // Smooth enough to look like a photo, with sharp edges for the resampling to ring on.
  auto coarse = torch::rand({1, channels, h / 4 + 1, w / 4 + 1});
  auto smooth = torch::upsample_bilinear2d(coarse, {h, w}, false).squeeze(0);
  auto edges = (torch::rand({channels, h, w}) > 0.97).to(torch::kFloat);
  auto picture = (smooth * 200 + edges * 55).clamp(0, 255).round().to(torch::kByte);
  DecodedImage image;
  image.pixels = picture.permute({1, 2, 0}).contiguous();
  image.source_h = source_h;
  image.source_w = source_w;
  return image;
}

std::vector<CropBox> boxes_for(const std::vector<DecodedImage>& images, uint64_t seed) {
  AugmentConfig config;
  std::mt19937_64 rng(seed);
  std::vector<CropBox> boxes;
  for (const auto& image : images)
    boxes.push_back(sample_crop(image.source_h, image.source_w, config, rng));
  return boxes;
}

}  // namespace

TEST_CASE("crops packed for the device and resized there match the loader's 8-bit crops") {
  std::vector<DecodedImage> images;
  for (uint64_t i = 0; i < 12; ++i) {
    const int64_t h = 60 + 7 * static_cast<int64_t>(i), w = 90 - 3 * static_cast<int64_t>(i);
    // Every third picture was shrunk by the cache: its boxes are drawn at twice its size.
    const int64_t scale = i % 3 == 0 ? 2 : 1;
    images.push_back(stored_picture(h, w, h * scale, w * scale, 3, i));
  }
  const auto boxes = boxes_for(images, 11);
  int flips = 0;
  for (const auto& b : boxes) flips += b.flip;
  REQUIRE(flips > 0);
  REQUIRE(flips < static_cast<int>(boxes.size()));

  const auto packed = pack_crops(images, boxes, /*pinned=*/false);
  CHECK(packed.channels == 3);
  CHECK((packed.pixels.scalar_type() == torch::kByte));
  REQUIRE(packed.regions.size() == images.size());
  int64_t next = 0;
  for (size_t i = 0; i < packed.regions.size(); ++i) {
    const auto& r = packed.regions[i];
    CHECK(r.offset == next);
    CHECK(r.flip == boxes[i].flip);
    CHECK(r.height <= images[i].pixels.size(0));
    CHECK(r.width <= images[i].pixels.size(1));
    next += r.height * r.width * 3;
  }
  CHECK(packed.pixels.numel() == next);

  const auto on_loader = crop_resize(images, boxes, 24, 20, torch::kCPU);
  const auto on_device = resize_packed_crops(packed.pixels, 3, packed.regions, 24, 20);
  CHECK((on_loader.scalar_type() == torch::kByte));
  CHECK((on_device.scalar_type() == torch::kFloat));
  CHECK(on_device.sizes() == torch::IntArrayRef({12, 3, 24, 20}));
  CHECK(torch::equal(on_device, on_device.round()));  // whole levels, as 8-bit pixels are
  const auto gap = (on_device - on_loader.to(torch::kFloat)).abs();
  MESSAGE("packed crops against the 8-bit ones: max " << gap.max().item<float>() << ", mean "
                                                      << gap.mean().item<float>() << " levels");
  CHECK(gap.max().item<float>() <= 2.0f);
  CHECK(gap.mean().item<float>() < 0.25f);
}

TEST_CASE("packed crops are cut from the right place and mirrored when drawn") {
  // Dark left half, bright right half; one box over the whole picture, mirrored, one not.
  DecodedImage image;
  image.pixels = torch::zeros({32, 48, 1}, torch::kByte);
  image.pixels.narrow(1, 24, 24).fill_(200);
  image.source_h = 32;
  image.source_w = 48;
  const std::vector<DecodedImage> images{image, image, image};
  const std::vector<CropBox> boxes{
      {0, 0, 32, 48, false}, {0, 0, 32, 48, true}, {0, 24, 32, 24, false}};
  const auto packed = pack_crops(images, boxes, /*pinned=*/false);
  const auto out = resize_packed_crops(packed.pixels, 1, packed.regions, 16, 16);
  CHECK(out[0].narrow(2, 0, 4).max().item<float>() == 0.0f);
  CHECK(out[0].narrow(2, 12, 4).min().item<float>() == 200.0f);
  CHECK(out[1].narrow(2, 0, 4).min().item<float>() == 200.0f);  // mirrored
  CHECK(out[1].narrow(2, 12, 4).max().item<float>() == 0.0f);
  CHECK(out[2].min().item<float>() == 200.0f);  // the bright half alone
}

TEST_CASE("float pictures are packed as 0..255 values and resized without rounding") {
  torch::manual_seed(3);
  DecodedImage image;
  image.pixels = torch::rand({20, 30, 2});
  const std::vector<DecodedImage> images{image, image};
  const std::vector<CropBox> boxes{{2, 3, 15, 22, false}, {4, 1, 16, 25, true}};
  const auto packed = pack_crops(images, boxes, /*pinned=*/false);
  CHECK((packed.pixels.scalar_type() == torch::kFloat));
  const auto out = resize_packed_crops(packed.pixels, 2, packed.regions, 12, 10);
  for (size_t i = 0; i < boxes.size(); ++i) {
    const auto& b = boxes[i];
    auto chw =
        image.pixels.narrow(0, b.top, b.height).narrow(1, b.left, b.width).permute({2, 0, 1});
    auto expected = resize_bicubic(chw.contiguous(), 12, 10) * 255;
    if (b.flip) expected = expected.flip({2});
    CHECK(torch::allclose(out[static_cast<int64_t>(i)], expected, 1e-5, 1e-3));
  }
}

TEST_CASE("a loader that packs crops hands over the batches it would have resized itself") {
  TempDir dir;
  torch::manual_seed(5);
  for (int i = 0; i < 5; ++i)
    save_png(dir.path("img" + std::to_string(i) + ".png"), torch::rand({3, 40 + 4 * i, 56}));
  auto ds = open_dataset(dir.path(""), 3);
  auto lc = small_test_loader(4, 2, 16);
  lc.output = LoaderOutput::Pixels;
  BatchLoader pixels(ds, lc, 1);
  lc.output = LoaderOutput::Crops;
  BatchLoader crops(ds, lc, 1);
  for (int step = 1; step < 4; ++step) {
    const auto whole = pixels.next();
    const auto packed = crops.next_crops();
    REQUIRE(packed.regions.size() == 4);
    const auto resized =
        resize_packed_crops(packed.pixels, packed.channels, packed.regions, 16, 16);
    // The 8-bit path rounds between its two passes, as PIL does, and the float path does not:
    // on these pictures of random noise a few pixels in a thousand differ by up to 5 levels.
    const auto difference = (resized - whole.to(torch::kFloat)).abs();
    CHECK(difference.max().item<float>() <= 8.0f);
    CHECK((difference > 1.0f).to(torch::kFloat).mean().item<float>() < 0.005f);
  }
  CHECK_THROWS_AS(crops.next(), std::logic_error);
  CHECK_THROWS_AS(pixels.next_crops(), std::logic_error);

  // Packed crops over the whole memory budget: the batch the consumer needs is still built.
  lc.ready_memory_budget = 1;
  lc.workers = 3;
  BatchLoader tight(ds, lc, 0);
  for (int step = 0; step < 4; ++step) CHECK(tight.next_crops().regions.size() == 4);
}

TEST_CASE("a run whose crops are resized by the trainer takes the loader-cropped run's steps") {
  // Float pictures: both ways resize in float with the same kernels, so the runs are equal.
  auto data = std::make_shared<SyntheticDataset>(24, 1, 16);
  auto run = [&](bool crops_on_device) {
    auto t = small_test_run(4, 7);
    t.crops_on_device = crops_on_device;
    t.crop_scale_min = 0.3;
    Trainer trainer(small_test_model(), t, data);
    std::vector<double> losses;
    while (!trainer.done())
      for (const auto& m : trainer.step()) losses.push_back(m.loss);
    for (const auto& m : trainer.drain()) losses.push_back(m.loss);
    return losses;
  };
  const auto loader_cropped = run(false);
  const auto trainer_cropped = run(true);
  REQUIRE(loader_cropped.size() == 4);
  CHECK(trainer_cropped == loader_cropped);
}
