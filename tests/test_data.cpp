// Why: the data layer must survive what users throw at it: corrupt, truncated, empty and
// oversized images, 16-bit and alpha PNGs, a missing folder; and read Fashion-MNIST.
#include <doctest/doctest.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "data/augment.h"
#include "data/batch_loader.h"
#include "data/dataset.h"
#include "data/image_folder.h"
#include "data/image_io.h"
#include "data/recycled_buffers.h"
#include "data/stb_backend.h"
#include "small_configs.h"
#include "test_support.h"
#include "train/loader_workers.h"

using namespace mae;

TEST_CASE("PNG round trip through save_png and load_image") {
  TempDir dir;
  auto img = torch::rand({3, 10, 7});
  save_png(dir.path("a.png"), img);
  auto back = load_image(dir.path("a.png"), 3);
  CHECK(back.sizes() == torch::IntArrayRef({3, 10, 7}));
  CHECK((back - img).abs().max().item<float>() <= 0.5f / 255 + 1e-6f);
  auto gray = load_image(dir.path("a.png"), 1);
  CHECK(gray.size(0) == 1);
}

TEST_CASE("alpha is composited over white and 16-bit keeps precision") {
  TempDir dir;
  // 2x1 RGBA: opaque black, fully transparent black
  const uint8_t rgba[] = {0, 0, 0, 255, 0, 0, 0, 0};
  write_bytes(dir.path("alpha.png"), stb::encode_png(rgba, 2, 1, 4));
  auto img = load_image(dir.path("alpha.png"), 3);
  CHECK(img[0][0][0].item<float>() == 0.0f);
  CHECK(img[0][0][1].item<float>() == 1.0f);
  write_bytes(dir.path("png16.png"), png16_gray_2x1(0x1234, 0xfedc));
  auto deep = load_image(dir.path("png16.png"), 1);
  CHECK(deep[0][0][0].item<float>() == doctest::Approx(0x1234 / 65535.0).epsilon(1e-6));
  CHECK(deep[0][0][1].item<float>() == doctest::Approx(0xfedc / 65535.0).epsilon(1e-6));
}

TEST_CASE("bad images give ImageError, never a crash") {
  TempDir dir;
  write_bytes(dir.path("empty.png"), {});
  CHECK_THROWS_AS(load_image(dir.path("empty.png"), 3), ImageError);
  write_bytes(dir.path("garbage.jpg"), std::vector<uint8_t>(1000, 0x5a));
  CHECK_THROWS_AS(load_image(dir.path("garbage.jpg"), 3), ImageError);
  auto png = stb::encode_png(std::vector<uint8_t>(64 * 64 * 3, 128).data(), 64, 64, 3);
  png.resize(png.size() / 2);
  write_bytes(dir.path("truncated.png"), png);
  CHECK_THROWS_AS(load_image(dir.path("truncated.png"), 3), ImageError);
  CHECK_THROWS_AS(load_image(dir.path("missing.png"), 3), ImageError);
  // a tiny file that claims to be 30000 x 30000: refused from the header, before decoding
  write_bytes(dir.path("huge.png"), png_header_only(30000, 30000));
  try {
    load_image(dir.path("huge.png"), 3);
    FAIL("oversized image accepted");
  } catch (const ImageError& e) {
    CHECK(std::string(e.what()).find("30000x30000 (900.0 MP), beyond the limit of 179.0 MP") !=
          std::string::npos);
  }
  // PIL's bound: a 108-MP phone photo passes, as it does in torchvision's loader; a side
  // past JPEG's own limit and a picture without pixels do not.
  CHECK_NOTHROW(check_image_size(12000, 9000, {}));
  CHECK_THROWS_WITH_AS(check_image_size(70000, 10, {}),
                       "image is 70000x10, beyond the limit of 65535 px per side", ImageError);
  CHECK_THROWS_WITH_AS(check_image_size(0, 10, {}), "image is 0x10: it has no pixels", ImageError);
  ImageLimits small;
  small.max_bytes = 100;
  write_bytes(dir.path("big.png"),
              stb::encode_png(std::vector<uint8_t>(64 * 64 * 3, 7).data(), 64, 64, 3));
  CHECK_THROWS_AS(load_image(dir.path("big.png"), 3, small), ImageError);
}

TEST_CASE("image folders: recursive, missing and empty folders, skipped files") {
  TempDir dir;
  std::filesystem::create_directories(dir.path("a/b"));
  save_png(dir.path("a/one.png"), torch::rand({3, 16, 16}));
  save_png(dir.path("a/b/two.png"), torch::rand({3, 20, 12}));
  write_bytes(dir.path("a/b/broken.png"), std::vector<uint8_t>(50, 1));
  write_bytes(dir.path("a/notes.txt"), {'h', 'i'});
  auto ds = open_dataset(dir.path("a"), 3);
  CHECK(ds->size() == 3);
  CHECK_THROWS_AS(open_dataset(dir.path("nowhere"), 3), DataError);
  std::filesystem::create_directories(dir.path("empty"));
  CHECK_THROWS_AS(open_dataset(dir.path("empty"), 3), DataError);
  CHECK_THROWS_AS(open_dataset(dir.path("a/b/broken.png"), 3), DataError);

  LoaderConfig lc;
  lc.batch = 6;
  lc.augment.out_h = lc.augment.out_w = 8;
  lc.mean = {0.5, 0.5, 0.5};
  lc.std = {0.25, 0.25, 0.25};
  BatchLoader loader(ds, lc, 0);
  auto batch = loader.next();
  CHECK(batch.sizes() == torch::IntArrayRef({6, 3, 8, 8}));
  CHECK(loader.skipped_files() >= 1);
  CHECK(loader.last_warning().find("broken.png") != std::string::npos);
}

TEST_CASE("batches are a pure function of (seed, step)") {
  TempDir dir;
  for (int i = 0; i < 5; ++i)
    save_png(dir.path("img" + std::to_string(i) + ".png"), torch::rand({3, 24, 24}));
  auto ds = open_dataset(dir.path(""), 3);
  auto lc = small_test_loader(4, 9, 16);
  BatchLoader from_start(ds, lc, 0);
  from_start.next();
  from_start.next();
  auto third = from_start.next();
  BatchLoader resumed(ds, lc, 2);
  CHECK(torch::equal(resumed.next(), third));
  // The pixels a GPU run takes: uint8, normalized by the consumer to the same floats.
  lc.output = LoaderOutput::Pixels;
  BatchLoader pixels(ds, lc, 2);
  const auto bytes = pixels.next();
  CHECK((bytes.scalar_type() == torch::kByte));
  CHECK(torch::equal(normalize_pixels(bytes, lc.mean, lc.std), third));
  CHECK(torch::equal(normalize(bytes.to(torch::kFloat) / 255.0, lc.mean, lc.std), third));
  CHECK((bytes.scalar_type() == torch::kByte));  // normalize_pixels left its input alone
  const auto floats = bytes.to(torch::kFloat);
  normalize_pixels(floats, lc.mean, lc.std);
  CHECK(torch::equal(floats, bytes.to(torch::kFloat)));
}

namespace {
// Pictures that take `delay` each to load, counting how many are loading at once. The first
// loads wait (up to 10 s) until `gather` of them are loading together, so that how many can build
// at once does not depend on how soon the machine starts each thread.
class SlowDataset : public Dataset {
 public:
  SlowDataset(std::chrono::milliseconds delay, int gather) : delay_(delay), gather_(gather) {}
  int64_t size() const override { return 1000; }
  int64_t channels() const override { return 3; }
  DecodedImage load_pixels(int64_t) const override {
    {
      std::unique_lock lock(mutex_);
      most_at_once_ = std::max(most_at_once_, ++loading_);
      ++loads_;
      if (loading_ >= gather_) gathered_ = true;
      gathered_changed_.notify_all();
      gathered_changed_.wait_for(lock, std::chrono::seconds(10), [&] { return gathered_; });
    }
    std::this_thread::sleep_for(delay_);
    std::lock_guard lock(mutex_);
    --loading_;
    return {torch::zeros({8, 8, 3}, torch::kByte), 8, 8};
  }
  std::string description() const override { return "slow"; }
  int most_at_once() const {
    std::lock_guard lock(mutex_);
    return most_at_once_;
  }
  int loads() const {
    std::lock_guard lock(mutex_);
    return loads_;
  }

 private:
  std::chrono::milliseconds delay_;
  int gather_;
  mutable std::mutex mutex_;
  mutable std::condition_variable gathered_changed_;
  mutable int loading_ = 0, most_at_once_ = 0, loads_ = 0;
  mutable bool gathered_ = false;
};
}  // namespace

TEST_CASE("every loader worker builds a batch at once, within prefetch batches ahead") {
  // 6 workers, more than the 4 batches of prefetch: before, only 4 built at a time (ViT-B/16
  // on 15 workers: 3 at a time, 2210 images/s).
  const auto dataset = std::make_shared<SlowDataset>(std::chrono::milliseconds(150), 6);
  auto lc = small_test_loader(1, 0, 8);
  lc.workers = 6;
  lc.prefetch = 4;
  lc.output = LoaderOutput::Pixels;
  BatchLoader loader(dataset, lc, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (dataset->loads() < 4 + 6 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(dataset->most_at_once() == 6);
  // Nothing taken: no more than the window is built, however long the workers wait.
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  CHECK(dataset->loads() == 4 + 6);
  loader.next();
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  CHECK(dataset->loads() == 4 + 6 + 1);
  CHECK(dataset->most_at_once() == 6);
}

TEST_CASE("the loader says whether the next batch is there, waiting at most as long as asked") {
  const auto dataset = std::make_shared<SlowDataset>(std::chrono::milliseconds(600), 1);
  auto lc = small_test_loader(1, 0, 1);
  lc.workers = 1;
  lc.output = LoaderOutput::Pixels;
  BatchLoader loader(dataset, lc, 0);
  const auto asked = std::chrono::steady_clock::now();
  CHECK_FALSE(loader.wait_for_next(std::chrono::milliseconds(1)));  // a picture takes 600 ms
  CHECK(std::chrono::steady_clock::now() - asked < std::chrono::milliseconds(500));
  CHECK(loader.wait_for_next(std::chrono::seconds(10)));
  // Not taken by asking: the batch is still the next one.
  CHECK(loader.wait_for_next(std::chrono::milliseconds(0)));
  loader.next();
  CHECK_FALSE(loader.wait_for_next(std::chrono::milliseconds(0)));  // the second, 600 ms away
}

TEST_CASE("loader threads follow the device: 2 beside a CPU's step, the cores for a GPU") {
  const auto cores = static_cast<int64_t>(std::max(1u, std::thread::hardware_concurrency()));
  CHECK(default_loader_workers("cpu", 1) == 2);
  CHECK(default_loader_workers("cuda", 1) == std::clamp<int64_t>(cores - 1, 2, 16));
  CHECK(default_loader_workers("cuda:1", 2) == std::clamp<int64_t>(cores / 2 - 1, 2, 16));
  CHECK(default_loader_workers("cuda", 4096) == 2);
}

TEST_CASE("the loader's float batches reuse released memory, up to a bound") {
  std::optional<RecycledBuffers> buffers(std::in_place, 2);
  auto first = buffers->empty({2, 3, 4, 5}, torch::kFloat);
  CHECK(first.sizes() == torch::IntArrayRef({2, 3, 4, 5}));
  CHECK((first.scalar_type() == torch::kFloat));
  CHECK(first.is_contiguous());
  CHECK(reinterpret_cast<uintptr_t>(first.data_ptr()) % 64 == 0);
  const void* memory = first.data_ptr();
  first = torch::Tensor();
  CHECK(buffers->free_blocks() == 1);
  CHECK(buffers->empty({2, 3, 4, 5}, torch::kFloat).data_ptr() == memory);  // reused
  auto other_size = buffers->empty({7}, torch::kFloat);                     // a new block
  CHECK(other_size.data_ptr() != memory);

  std::vector<torch::Tensor> held;
  for (int i = 0; i < 4; ++i) held.push_back(buffers->empty({16}, torch::kFloat));
  held.clear();
  CHECK(buffers->free_blocks() == 2);  // the rest went back to the system

  // A batch may outlive the loader that built it.
  auto survivor = buffers->empty({3}, torch::kFloat).fill_(1.5f);
  buffers.reset();
  CHECK(survivor.sum().item<float>() == 4.5f);
}

TEST_CASE("random resized crop follows the scale range") {
  std::mt19937_64 rng(1);
  AugmentConfig ac;
  ac.out_h = ac.out_w = 32;
  auto img = torch::rand({1, 64, 48});
  for (int i = 0; i < 20; ++i) {
    auto out = random_resized_crop(img, ac, rng);
    CHECK(out.sizes() == torch::IntArrayRef({1, 32, 32}));
    CHECK(out.min().item<float>() >= 0.0f);
    CHECK(out.max().item<float>() <= 1.0f);
  }
  auto n = normalize(img, {0.5}, {0.25});
  CHECK(torch::allclose(denormalize(n, {0.5}, {0.25}), img, 1e-5, 1e-6));
}

TEST_CASE("Fashion-MNIST IDX files load, and a missing dataset is a clear error") {
  REQUIRE_MESSAGE(std::filesystem::exists(fashion_mnist_dir()),
                  "Fashion-MNIST is not installed (the test command installs it)");
  auto test = open_dataset("fashion-mnist:test", 1);
  CHECK(test->size() == 10000);
  auto img = test->load(0);
  CHECK(img.sizes() == torch::IntArrayRef({1, 28, 28}));
  CHECK(img.max().item<float>() <= 1.0f);
  CHECK(img.max().item<float>() > 0.5f);
  CHECK(open_dataset("fashion-mnist:test", 3)->load(0).size(0) == 3);
  // The variable is put back as it was: where it names the data (the GPU machine has no
  // Debian package), unsetting it failed every later test that reads Fashion-MNIST.
  const char* before = std::getenv("MAE_FASHION_MNIST_DIR");
  const std::string kept = before ? before : "";
  setenv("MAE_FASHION_MNIST_DIR", "/nonexistent", 1);
  CHECK_THROWS_AS(open_dataset("fashion-mnist", 1), DataError);
  if (before)
    setenv("MAE_FASHION_MNIST_DIR", kept.c_str(), 1);
  else
    unsetenv("MAE_FASHION_MNIST_DIR");
}

TEST_CASE("corrupt IDX files are rejected") {
  TempDir dir;
  write_bytes(dir.path("bad-ubyte"), {0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2});
  CHECK_THROWS_AS(open_dataset(dir.path("bad-ubyte"), 1), DataError);
  write_bytes(dir.path("bad-ubyte.gz"),
              {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9});
  CHECK_THROWS_AS(open_dataset(dir.path("bad-ubyte.gz"), 1), DataError);
}
