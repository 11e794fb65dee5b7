// Why: the photo pipeline must be fast without changing what training sees: scaled JPEG
// decoding picks the right factor and keeps crop statistics, the decoded-image cache hits,
// misses and invalidates by path, size and time, spills past its memory budget, and corrupt
// files are skipped and counted; labels come from class sub-folders and label files; the
// preset recipe is one function.
#include <doctest/doctest.h>
#include <torch/torch.h>
#include <unistd.h>
#include <utime.h>

#include <array>
#include <filesystem>

#include "data/augment.h"
#include "data/batch_loader.h"
#include "data/dataset.h"
#include "data/decoded_cache.h"
#include "data/exif_orientation.h"
#include "data/image_folder.h"
#include "data/jpeg_decoder.h"
#include "data/photo_decode.h"
#include "data/stb_backend.h"
#include "data/tiff_decoder.h"
#include "data/webp_decoder.h"
#include "io/hf_vitmae.h"
#include "io/model_files.h"
#include "recipe/recipe.h"
#include "test_support.h"
#include "train/trainer.h"
#include "util/left_out_lines.h"

using namespace mae;

namespace {

// A smooth photo-like picture (gradients and a few soft shapes), interleaved RGB bytes.
std::vector<uint8_t> photo_pixels(int w, int h, int seed) {
  std::vector<uint8_t> px(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const double u = static_cast<double>(x) / w, v = static_cast<double>(y) / h;
      const double blob = std::exp(
          -40.0 * ((u - 0.3 - 0.05 * seed) * (u - 0.3 - 0.05 * seed) + (v - 0.6) * (v - 0.6)));
      const double waves = 0.5 + 0.5 * std::sin(18.0 * u + 7.0 * v + seed);
      uint8_t* p = &px[(static_cast<size_t>(y) * w + x) * 3];
      p[0] = static_cast<uint8_t>(255 * (0.2 + 0.6 * u * (1 - blob) + 0.2 * blob));
      p[1] = static_cast<uint8_t>(255 * (0.3 * waves + 0.5 * v));
      p[2] = static_cast<uint8_t>(255 * (0.9 * blob + 0.1 * waves));
    }
  return px;
}

// A folder of `count` pictures lists them all, decodes each (none refused) and loads each
// with its shorter side at the cap.
void check_folder_trains(const std::string& folder, int64_t count, int64_t cap) {
  DataOptions options;
  options.short_side_cap = cap;
  ImageFolderDataset dataset(folder, 3, options);
  CHECK(dataset.size() == count);
  dataset.prepare({}, {});
  CHECK(dataset.unreadable_files() == 0);
  for (int64_t i = 0; i < count; ++i) {
    const auto picture = dataset.load(i);
    CHECK(std::min(picture.size(1), picture.size(2)) == cap);
  }
}

void write_jpeg(const std::string& path, int w, int h, int seed) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  auto px = photo_pixels(w, h, seed);
  write_bytes(path, jpeg::encode(px.data(), w, h, 3, 92));
}

void write_png(const std::string& path, int w, int h, int seed) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  auto px = photo_pixels(w, h, seed);
  write_bytes(path, stb::encode_png(px.data(), w, h, 3));
}

DataOptions cached(const std::string& cache_dir, int64_t cap) {
  DataOptions o;
  o.short_side_cap = cap;
  o.disk_cache = true;
  o.cache_dir = cache_dir;
  return o;
}

}  // namespace

TEST_CASE("the crop-faithful cap and the DCT scale factor") {
  CHECK(crop_faithful_short_side(64, 64, 0.2) == 192);
  CHECK(crop_faithful_short_side(224, 224, 0.2) == 672);
  CHECK(crop_faithful_short_side(28, 28, 0.5) == 56);
  // 4000 x 3000: 1/8 gives 375 >= 192; 1/4 gives 750 >= 672; 1/2 for 1000; full for 2000.
  CHECK(jpeg::pick_scale_denominator(4000, 3000, 192) == 8);
  CHECK(jpeg::pick_scale_denominator(4000, 3000, 672) == 4);
  CHECK(jpeg::pick_scale_denominator(4000, 3000, 1000) == 2);
  CHECK(jpeg::pick_scale_denominator(4000, 3000, 2000) == 1);
  CHECK(jpeg::pick_scale_denominator(4000, 3000, 0) == 1);
  CHECK(jpeg::scaled_side(3001, 8) == 376);  // libjpeg-turbo rounds up
}

TEST_CASE("scaled JPEG decoding gives the same crops as a full decode, within 2 levels") {
  REQUIRE_MESSAGE(jpeg::available(), "built without libjpeg-turbo (the set-up script installs it)");
  TempDir dir;
  write_jpeg(dir.path("photo.jpg"), 1600, 1200, 1);
  const auto bytes = read_bytes(dir.path("photo.jpg"));
  // Capped at 192: decoded at 1/4 (300 px), then resized. Reference: full decode, resized.
  auto scaled = decode_photo(bytes, 3, 192);
  CHECK(scaled.source_h == 1200);
  CHECK(scaled.source_w == 1600);
  CHECK(scaled.pixels.size(0) == 192);
  CHECK(scaled.pixels.size(1) == 256);
  auto full = decode_photo(bytes, 3, 0);
  CHECK(full.pixels.size(0) == 1200);
  auto reference = shrink_to_short_side(full.pixels, 192);
  const double mean_abs =
      (scaled.pixels.to(torch::kFloat) - reference.to(torch::kFloat)).abs().mean().item<double>();
  MESSAGE("mean |scaled - full| after the resize: " << mean_abs << " levels of 255");
  CHECK(mean_abs < 2.0);
  // The loader's crops from the capped picture and from the full one: same boxes (drawn in
  // source coordinates), per-channel statistics within 2/255.
  AugmentConfig ac;
  ac.out_h = ac.out_w = 64;
  std::vector<CropBox> boxes;
  std::mt19937_64 rng(5);
  for (int i = 0; i < 16; ++i) boxes.push_back(sample_crop(1200, 1600, ac, rng));
  std::vector<DecodedImage> small(16, scaled), large(16, full);
  auto a = normalize_pixels(crop_resize(small, boxes, 64, 64, torch::kCPU), {0, 0, 0}, {1, 1, 1});
  auto b = normalize_pixels(crop_resize(large, boxes, 64, 64, torch::kCPU), {0, 0, 0}, {1, 1, 1});
  const double mean_gap = (a.mean({0, 2, 3}) - b.mean({0, 2, 3})).abs().max().item<double>();
  const double std_gap = (a.std({0, 2, 3}) - b.std({0, 2, 3})).abs().max().item<double>();
  const double pixel_gap = (a - b).abs().mean().item<double>();
  MESSAGE("crop statistics: mean gap " << mean_gap * 255 << ", std gap " << std_gap * 255
                                       << ", mean pixel gap " << pixel_gap * 255 << " levels");
  CHECK(mean_gap < 2.0 / 255);
  CHECK(std_gap < 2.0 / 255);
  CHECK(pixel_gap < 4.0 / 255);
}

// ImageNet's train set holds a few CMYK JPEGs, which the authors' loader reads through PIL,
// and cameras write chroma subsamplings that TurboJPEG 2's header call cannot name. The files
// were made by ImageMagick: Adobe's inverted CMYK stored as YCCK, unsubsampled and with Y at
// 2x2, and RGB at 3x1. The expected pixels are PIL 12's Image.open(f).convert("RGB") (its
// libjpeg-turbo 3.2), saved as raw bytes.
TEST_CASE("CMYK and unusually subsampled JPEGs decode to the colours PIL gives them") {
  REQUIRE_MESSAGE(jpeg::available(), "built without libjpeg-turbo (the set-up script installs it)");
  for (const std::string name : {"cmyk-adobe", "cmyk-adobe-subsampled", "subsampled-3x1"}) {
    CAPTURE(name);
    const std::string stem = MAE_TEST_DATA_DIR "/" + name;
    const auto expected_bytes = read_bytes(stem + ".pil-rgb");
    REQUIRE(expected_bytes.size() == 24 * 40 * 3);
    auto expected =
        torch::from_blob(const_cast<uint8_t*>(expected_bytes.data()), {24, 40, 3}, torch::kByte)
            .to(torch::kInt);
    const auto bytes = read_bytes(stem + ".jpg");
    auto rgb = decode_photo(bytes, 3, 0).pixels;
    REQUIRE(rgb.sizes() == expected.sizes());
    const int64_t gap = (rgb.to(torch::kInt) - expected).abs().max().item<int64_t>();
    MESSAGE(name << ": largest gap to PIL " << gap << " levels of 255");
    CHECK(gap <= 1);
    // CMYK's gray is the luminance of those colours, as for a PNG's. (libjpeg's gray of a
    // YCbCr file is its Y, which chroma subsampling moves away from the colours' luminance.)
    if (name.rfind("cmyk", 0) == 0) {
      auto gray = decode_photo(bytes, 1, 0).pixels.to(torch::kFloat).squeeze(2);
      auto luminance = (rgb.to(torch::kFloat) * torch::tensor({0.299f, 0.587f, 0.114f})).sum(2);
      CHECK((gray - luminance).abs().max().item<float>() <= 0.5f + 1e-3f);
    }
    // The explorer's reader gives the same pixels as floats, and the DCT-scaled decode the
    // loader uses runs for these files too.
    CHECK(torch::equal(decode_image(bytes, 3), to_unit_chw(rgb)));
    int64_t h = 0, w = 0;
    probe_image_size(bytes, {}, &h, &w);
    CHECK(h == 24);
    CHECK(w == 40);
    auto scaled = decode_photo(bytes, 3, 12).pixels;
    CHECK(scaled.size(0) == 12);
    const double mean_gap =
        (scaled.to(torch::kFloat) - shrink_to_short_side(rgb, 12).to(torch::kFloat))
            .abs()
            .mean()
            .item<double>();
    CHECK(mean_gap < 6.0);
  }
}

namespace {

// `jpeg` with an EXIF segment right after its SOI whose first IFD holds `entries` (tag, type,
// value) in the given byte order.
std::vector<uint8_t> with_exif(const std::vector<uint8_t>& jpeg,
                               const std::vector<std::array<int, 3>>& entries, bool little) {
  std::vector<uint8_t> tiff;
  auto put = [&](uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i)
      tiff.push_back(static_cast<uint8_t>(v >> (8 * (little ? i : bytes - 1 - i))));
  };
  tiff = {static_cast<uint8_t>(little ? 'I' : 'M'), static_cast<uint8_t>(little ? 'I' : 'M')};
  put(42, 2);
  put(8, 4);
  put(static_cast<uint32_t>(entries.size()), 2);
  for (const auto& [tag, type, value] : entries) {
    put(tag, 2);
    put(type, 2);
    put(1, 4);
    put(value, 2);
    put(0, 2);
  }
  put(0, 4);
  // Byte by byte: GCC 12 sees a false bound in inserting into a braced vector.
  const size_t length = 2 + 6 + tiff.size();
  std::vector<uint8_t> out;
  for (int b : {0xff, 0xd8, 0xff, 0xe1}) out.push_back(static_cast<uint8_t>(b));
  out.push_back(static_cast<uint8_t>(length >> 8));
  out.push_back(static_cast<uint8_t>(length));
  for (char c : std::string("Exif", 4)) out.push_back(static_cast<uint8_t>(c));
  out.push_back(0);
  out.push_back(0);
  for (uint8_t b : tiff) out.push_back(b);
  for (size_t i = 2; i < jpeg.size(); ++i) out.push_back(jpeg[i]);
  return out;
}

// Where upright pixel (i, j) comes from in a stored h x w picture, by the EXIF definitions.
std::pair<int64_t, int64_t> stored_pixel(int orientation, int64_t i, int64_t j, int64_t h,
                                         int64_t w) {
  switch (orientation) {
    case 2:
      return {i, w - 1 - j};
    case 3:
      return {h - 1 - i, w - 1 - j};
    case 4:
      return {h - 1 - i, j};
    case 5:
      return {j, i};
    case 6:
      return {h - 1 - j, i};
    case 7:
      return {h - 1 - j, w - 1 - i};
    case 8:
      return {j, w - 1 - i};
    default:
      return {i, j};
  }
}

}  // namespace

// A phone's portrait photo is stored sideways with an EXIF Orientation; a picture a person
// opens is shown upright (PIL's ImageOps.exif_transpose), a dataset's is read as stored.
TEST_CASE("opened JPEGs are turned upright by their EXIF orientation, datasets are not") {
  REQUIRE_MESSAGE(jpeg::available(), "built without libjpeg-turbo (the set-up script installs it)");
  const int h = 6, w = 10;
  const auto plain_bytes = jpeg::encode(photo_pixels(w, h, 2).data(), w, h, 3, 95);
  const auto plain = decode_image(plain_bytes, 3);
  auto p = plain.accessor<float, 3>();
  for (bool little : {true, false})
    for (int orientation = 1; orientation <= 8; ++orientation) {
      CAPTURE(little);
      CAPTURE(orientation);
      const auto bytes = with_exif(plain_bytes, {{0x010f, 2, 0}, {0x0112, 3, orientation}}, little);
      CHECK(jpeg_exif_orientation(bytes.data(), bytes.size()) == orientation);
      const auto turned = decode_image(bytes, 3);
      const bool swapped = orientation >= 5;
      REQUIRE(turned.size(1) == (swapped ? w : h));
      REQUIRE(turned.size(2) == (swapped ? h : w));
      auto t = turned.accessor<float, 3>();
      int wrong = 0;
      for (int c = 0; c < 3; ++c)
        for (int i = 0; i < turned.size(1); ++i)
          for (int j = 0; j < turned.size(2); ++j) {
            const auto [si, sj] = stored_pixel(orientation, i, j, h, w);
            wrong += t[c][i][j] != p[c][si][sj];
          }
      CHECK(wrong == 0);
      // The loader keeps the stored picture.
      CHECK(decode_photo(bytes, 3, 0).pixels.size(0) == h);
    }
  // The turn flips the decoded pixels in place and views them, for any size, channels and
  // element size: an opened portrait photo is held once.
  for (const auto dtype : {at::kByte, at::kFloat})
    for (const int64_t channels : {1, 3})
      for (int orientation = 1; orientation <= 8; ++orientation) {
        CAPTURE(channels);
        CAPTURE(orientation);
        const int64_t sh = 5, sw = 7;  // odd: the middle row and column stay where they are
        const auto stored =
            at::arange(sh * sw * channels).remainder(251).to(dtype).reshape({sh, sw, channels});
        auto pixels = stored.clone();
        const auto turned = upright_in_place(pixels, orientation);
        CHECK(turned.is_alias_of(pixels));
        const bool swapped = orientation >= 5;
        REQUIRE(turned.size(1) == (swapped ? sw : sh));
        REQUIRE(turned.size(2) == (swapped ? sh : sw));
        int wrong = 0;
        for (int64_t c = 0; c < channels; ++c)
          for (int64_t i = 0; i < turned.size(1); ++i)
            for (int64_t j = 0; j < turned.size(2); ++j) {
              const auto [si, sj] = stored_pixel(orientation, i, j, sh, sw);
              wrong += !at::equal(turned[c][i][j], stored[si][sj][c]);
            }
        CHECK(wrong == 0);
      }
  // Anything malformed reads as "as stored": a value out of range, a LONG where a SHORT
  // belongs, an IFD past the segment, a truncated segment.
  auto tagged = [&](int type, int value) {
    return with_exif(plain_bytes, {{0x0112, type, value}}, true);
  };
  for (const auto& bytes : {tagged(3, 9), tagged(3, 0), tagged(4, 6)})
    CHECK(jpeg_exif_orientation(bytes.data(), bytes.size()) == 1);
  auto far_ifd = tagged(3, 6);
  far_ifd[6 + 6 + 4] = 0x7f;  // the IFD offset's low byte, little-endian
  CHECK(jpeg_exif_orientation(far_ifd.data(), far_ifd.size()) == 1);
  auto cut = tagged(3, 6);
  const size_t segment_end = 4 + (size_t{cut[4]} << 8 | cut[5]);
  for (size_t size = 0; size < segment_end; ++size)
    CHECK(jpeg_exif_orientation(cut.data(), size) == 1);
  CHECK(jpeg_exif_orientation(cut.data(), segment_end) == 6);
  // PIL's own: files it wrote with orientations 6 and 7 (big-endian), and its
  // exif_transpose(...).convert("RGB") of them, saved as raw bytes.
  for (const std::string name : {"exif-orientation-6", "exif-orientation-7"}) {
    CAPTURE(name);
    const std::string stem = MAE_TEST_DATA_DIR "/" + name;
    const auto expected = read_bytes(stem + ".pil-rgb");
    auto got = decode_image(read_bytes(stem + ".jpg"), 3);
    REQUIRE(got.size(1) == 16);
    REQUIRE(got.size(2) == 10);
    auto got_bytes = got.permute({1, 2, 0}).mul(255).round().to(torch::kInt).contiguous();
    auto want = torch::from_blob(const_cast<uint8_t*>(expected.data()), {16, 10, 3}, torch::kByte)
                    .to(torch::kInt);
    CHECK((got_bytes - want).abs().max().item<int64_t>() <= 1);
  }
}

// torchvision's ImageFolder reads .webp through PIL; so does the loader here. The files and
// their expected pixels were made by PIL 12 (libwebp 1.6): a lossy RGB picture, a lossless
// one with alpha, which is laid over white here as for a PNG (PIL's convert("RGB") drops the
// alpha instead), and two animated ones.
TEST_CASE("WebP pictures decode to the pixels PIL gives them, and folders of them train") {
  REQUIRE_MESSAGE(webp::available(), "built without libwebp (the set-up script installs it)");
  const std::string data = MAE_TEST_DATA_DIR;
  auto raw = [](const std::vector<uint8_t>& bytes, int64_t channels) {
    return torch::from_blob(const_cast<uint8_t*>(bytes.data()), {24, 40, channels}, torch::kByte)
        .to(torch::kFloat);
  };
  const auto lossy_pil = read_bytes(data + "/lossy.pil-rgb");
  auto lossy = decode_photo(read_bytes(data + "/lossy.webp"), 3, 0).pixels.to(torch::kFloat);
  const double lossy_gap = (lossy - raw(lossy_pil, 3)).abs().max().item<double>();
  MESSAGE("lossy WebP: largest gap to PIL " << lossy_gap << " levels of 255");
  CHECK(lossy_gap <= 1.0);
  const auto rgba_pil = raw(read_bytes(data + "/lossless-alpha.pil-rgba"), 4);
  auto alpha = rgba_pil.slice(2, 3, 4) / 255.0;
  auto over_white = rgba_pil.slice(2, 0, 3) * alpha + 255.0 * (1.0 - alpha);
  const auto alpha_bytes = read_bytes(data + "/lossless-alpha.webp");
  auto composited = decode_photo(alpha_bytes, 3, 0).pixels.to(torch::kFloat);
  CHECK((composited - over_white).abs().max().item<double>() <= 0.5 + 1e-3);
  // The explorer's reader, a header read alone, gray, and the size cap.
  CHECK(torch::allclose(decode_image(alpha_bytes, 3), composited.permute({2, 0, 1}) / 255.0));
  int64_t h = 0, w = 0;
  probe_image_size(alpha_bytes, {}, &h, &w);
  CHECK((h == 24 && w == 40));
  CHECK(decode_photo(alpha_bytes, 1, 0).pixels.size(2) == 1);
  CHECK(decode_photo(alpha_bytes, 3, 12).pixels.size(0) == 12);
  // An animated WebP reads as its first frame, as PIL reads it: one without alpha (8x8, two
  // frames) exactly, one with alpha (24x40, three frames, lossless) laid over white. Every cut
  // of it is refused with a reason or decodes to the full size.
  const auto animated = read_bytes(data + "/animated.webp");
  const auto animated_pil = read_bytes(data + "/animated.pil-rgb");
  CHECK(torch::equal(
      decode_photo(animated, 3, 0).pixels,
      torch::from_blob(const_cast<uint8_t*>(animated_pil.data()), {8, 8, 3}, torch::kByte)));
  const auto animated_alpha = read_bytes(data + "/animated-alpha.webp");
  const auto first_pil = raw(read_bytes(data + "/animated-alpha.pil-rgba"), 4);
  auto first_alpha = first_pil.slice(2, 3, 4) / 255.0;
  auto first_over_white = first_pil.slice(2, 0, 3) * first_alpha + 255.0 * (1.0 - first_alpha);
  auto first = decode_photo(animated_alpha, 3, 0).pixels.to(torch::kFloat);
  CHECK((first - first_over_white).abs().max().item<double>() <= 0.5 + 1e-3);
  probe_image_size(animated_alpha, {}, &h, &w);
  CHECK((h == 24 && w == 40));
  for (size_t size = 0; size < animated_alpha.size(); size += 97) {
    const std::vector<uint8_t> cut(animated_alpha.begin(), animated_alpha.begin() + size);
    std::string outcome;
    try {
      outcome = std::to_string(decode_photo(cut, 3, 0).pixels.size(0)) + " rows";
    } catch (const ImageError& e) {
      outcome = e.what();
    }
    CHECK_MESSAGE((outcome == "24 rows" || outcome.find("WebP") != std::string::npos ||
                   outcome == "the file is empty"),
                  outcome);
  }
  // A folder: .webp files train; a GIF, and a phone's HEIC and AVIF files, are counted as not
  // read, by extension.
  TempDir dir;
  std::filesystem::create_directories(dir.path("pics"));
  for (int i = 0; i < 3; ++i) {
    const auto px = photo_pixels(96, 64, i);
    write_bytes(dir.path("pics/p" + std::to_string(i) + ".webp"),
                webp::encode(px.data(), 96, 64, 3, 85.0f));
  }
  const std::vector<uint8_t> not_decoded = {'G', 'I', 'F', '8', '9', 'a', 0};
  write_bytes(dir.path("pics/clip.gif"), not_decoded);
  DataOptions options;
  options.short_side_cap = 48;
  ImageFolderDataset folder(dir.path("pics"), 3, options);
  CHECK(folder.size() == 3);
  CHECK_MESSAGE(folder.description().find("1 .gif file not read: convert it to JPEG or PNG") !=
                    std::string::npos,
                folder.description());
  std::string ready_line;
  folder.prepare([&](const DataProgress& p) { ready_line = p.line(); }, {});
  CHECK_MESSAGE(ready_line.find("1 .gif file not read") != std::string::npos, ready_line);
  CHECK(folder.load(0).size(1) == 48);
  std::filesystem::create_directories(dir.path("phone"));
  write_bytes(dir.path("phone/a.avif"), not_decoded);
  write_bytes(dir.path("phone/b.HEIC"), not_decoded);
  write_bytes(dir.path("phone/c.heic"), not_decoded);
  CHECK_THROWS_WITH_AS(
      ImageFolderDataset(dir.path("phone"), 3, options),
      doctest::Contains("(1 .avif, 2 .heic files not read: convert them to JPEG or PNG)"),
      DataError);
}

// torchvision's ImageFolder reads .tif and .tiff through PIL. The files, written by PIL 12
// (its libtiff 4.7), and its Image.open(f).convert("RGB") of each come from
// tests/data/make_tiff_fixtures.py: LZW (two pages, the first read), Deflate gray, raw RGBA
// (laid over white here, where PIL's convert("RGB") drops alpha), Group 4 bilevel, PackBits
// palette, CMYK, JPEG-in-TIFF, two files whose Orientation tags say bottom-up and a quarter
// turn (PIL 12 turns a TIFF upright when it loads it, in training too), a BigTIFF (64-bit
// offsets, as archives of large scans are kept), a tiled file (libtiff's tiffcp: one tile
// larger than the picture), and a scanner's 48-bit RGB (each sample's high byte, as PIL reads
// it).
TEST_CASE("TIFF pictures decode to the pixels PIL gives them, and folders of them train") {
  REQUIRE_MESSAGE(tiff::available(), "built without libtiff (the set-up script installs it)");
  for (const std::string name :
       {"rgb-lzw", "gray-deflate", "rgba", "bilevel-g4", "palette-packbits", "cmyk", "jpeg",
        "bottom-up", "quarter-turn", "bigtiff", "tiled", "rgb-48bit"}) {
    CAPTURE(name);
    const std::string stem = MAE_TEST_DATA_DIR "/tiff-" + name;
    const auto bytes = read_bytes(stem + ".tif");
    const bool alpha = name == "rgba";
    const auto expected = read_bytes(stem + (alpha ? ".pil-rgba" : ".pil-rgb"));
    const int64_t h = name == "quarter-turn" ? 13 : 7, w = 20 - h;
    REQUIRE(expected.size() == size_t{7} * 13 * (alpha ? 4 : 3));
    auto want =
        torch::from_blob(const_cast<uint8_t*>(expected.data()), {h, w, alpha ? 4 : 3}, torch::kByte)
            .to(torch::kFloat);
    if (alpha) {
      auto a = want.slice(2, 3, 4) / 255.0;
      want = want.slice(2, 0, 3) * a + 255.0 * (1.0 - a);
    }
    auto rgb = decode_photo(bytes, 3, 0).pixels;
    REQUIRE(rgb.sizes() == torch::IntArrayRef({h, w, 3}));
    const double gap = (rgb.to(torch::kFloat) - want).abs().max().item<double>();
    MESSAGE(name << ": largest gap to PIL " << gap << " levels of 255");
    // libtiff's premultiplied alpha, CMYK's integer conversion and (PIL's libjpeg-turbo 3
    // against Debian's libjpeg-turbo 2) JPEG-in-TIFF may each round once.
    CHECK(gap <= (name == "rgba" || name == "cmyk" || name == "jpeg" ? 1.0 : 0.0));
    // The explorer's reader, a header read alone, gray, and the size cap.
    CHECK(torch::equal(decode_image(bytes, 3), to_unit_chw(rgb)));
    int64_t header_h = 0, header_w = 0;
    probe_image_size(bytes, {}, &header_h, &header_w);
    CHECK((header_h == h && header_w == w));
    CHECK(decode_peak_bytes(bytes, 0) == size_t{7} * 13 * 16);
    auto gray = decode_photo(bytes, 1, 0).pixels;
    REQUIRE(gray.size(2) == 1);
    if (name == "gray-deflate" || name == "bilevel-g4")
      CHECK(torch::equal(gray.squeeze(2), rgb.select(2, 0)));
    CHECK(std::min(decode_photo(bytes, 3, 5).pixels.size(0),
                   decode_photo(bytes, 3, 5).pixels.size(1)) == 5);
  }
  // 16-bit gray samples keep their high byte (libtiff's, and PIL's for 16-bit RGB).
  auto sixteen = decode_photo(read_bytes(MAE_TEST_DATA_DIR "/tiff-gray-16bit.tif"), 1, 0).pixels;
  CHECK(torch::equal(sixteen.flatten().to(torch::kInt),
                     torch::tensor({0, 50, 101, 152, 203, 253}, torch::kInt)));
  // A folder of .tif and .tiff files trains, as torchvision's would.
  TempDir dir;
  std::filesystem::create_directories(dir.path("scans"));
  const std::string data = MAE_TEST_DATA_DIR;
  std::filesystem::copy_file(data + "/tiff-rgb-lzw.tif", dir.path("scans/a.tif"));
  std::filesystem::copy_file(data + "/tiff-jpeg.tif", dir.path("scans/b.TIFF"));
  check_folder_trains(dir.path("scans"), 2, 6);
  CHECK(has_image_extension("scan.TIF"));
}

// torchvision's ImageFolder reads .ppm and .pgm through PIL. The files (plain and raw PBM,
// PGM and PPM; maxvals 1, 10, 100, 255, 1000 and 4095; comments in the header and among the
// samples) and PIL 12's Image.open(f).convert("RGB") of each come from
// tests/data/make_pnm_fixtures.py.
TEST_CASE("PNM pictures decode to the pixels PIL gives them, and folders of them train") {
  const std::pair<std::string, std::string> files[] = {
      {"plain-maxval-10", ".pgm"}, {"plain-maxval-1000", ".ppm"},
      {"plain", ".pbm"},           {"raw", ".pbm"},
      {"raw-maxval-100", ".pgm"},  {"raw-maxval-255", ".ppm"},
      {"raw-maxval-4095", ".ppm"}};
  for (const auto& [name, ext] : files) {
    CAPTURE(name);
    const std::string stem = MAE_TEST_DATA_DIR "/pnm-" + name;
    const auto bytes = read_bytes(stem + ext);
    const auto expected = read_bytes(stem + ".pil-rgb");
    REQUIRE(expected.size() == 7 * 13 * 3);
    auto want = torch::from_blob(const_cast<uint8_t*>(expected.data()), {7, 13, 3}, torch::kByte);
    auto rgb = decode_photo(bytes, 3, 0).pixels;
    CHECK(torch::equal(rgb, want));
    // The explorer's reader, a header read alone, gray, and the size cap.
    CHECK(torch::equal(decode_image(bytes, 3), to_unit_chw(rgb)));
    int64_t h = 0, w = 0;
    probe_image_size(bytes, {}, &h, &w);
    CHECK((h == 7 && w == 13));
    auto gray = decode_photo(bytes, 1, 0).pixels;
    REQUIRE(gray.size(2) == 1);
    if (ext != ".ppm") CHECK(torch::equal(gray.squeeze(2), want.select(2, 0)));
    CHECK(decode_photo(bytes, 3, 5).pixels.size(0) == 5);
  }
  // A 16-bit PGM is scaled to 8 bits (PIL keeps it as 32-bit integers and clips them to 255
  // when it converts to RGB, so such a file trains there as white).
  std::vector<uint8_t> sixteen = {'P', '5', '\n', '3', ' ', '1', '\n',
                                  '6', '5', '5',  '3', '5', '\n'};
  for (int v : {0, 32896, 65535}) {
    sixteen.push_back(static_cast<uint8_t>(v >> 8));
    sixteen.push_back(static_cast<uint8_t>(v & 255));
  }
  auto scaled = decode_photo(sixteen, 1, 0).pixels.flatten().to(torch::kInt);
  CHECK(torch::equal(scaled, torch::tensor({0, 128, 255}, torch::kInt)));
  // A folder of .ppm and .pgm files trains, as torchvision's would.
  TempDir dir;
  std::filesystem::create_directories(dir.path("pics"));
  for (int i = 0; i < 3; ++i) {
    const auto px = photo_pixels(96, 64, i);
    const std::string header = "P6\n96 64\n255\n";
    std::vector<uint8_t> ppm(header.begin(), header.end());
    for (uint8_t b : px) ppm.push_back(b);
    write_bytes(dir.path("pics/p" + std::to_string(i) + (i == 2 ? ".PPM" : ".ppm")), ppm);
  }
  check_folder_trains(dir.path("pics"), 3, 48);
  CHECK(has_image_extension("scan.pgm"));
  CHECK(has_image_extension("mask.PBM"));
}

TEST_CASE("decoded-image cache: miss, hit on a second run, invalidation by size and time") {
  TempDir dir;
  std::filesystem::create_directories(dir.path("photos/cats"));
  std::filesystem::create_directories(dir.path("photos/dogs"));
  write_png(dir.path("photos/cats/a.png"), 300, 200, 1);
  write_png(dir.path("photos/cats/b.png"), 240, 320, 2);
  write_png(dir.path("photos/dogs/c.png"), 400, 300, 3);
  if (jpeg::available()) write_jpeg(dir.path("photos/dogs/d.jpg"), 640, 480, 4);
  const int64_t files = jpeg::available() ? 4 : 3;
  const auto options = cached(dir.path("cache"), 96);
  {
    ImageFolderDataset ds(dir.path("photos"), 3, options);
    CHECK(ds.size() == files);
    CHECK(ds.class_names() == std::vector<std::string>{"cats", "dogs"});
    CHECK(ds.label(0) == 0);
    CHECK(ds.label(files - 1) == 1);
    ds.prepare({}, {});
    const auto s = ds.cache_stats();
    CHECK(s.misses == files);
    CHECK(s.on_disk == files);
    CHECK(s.reused == 0);
    CHECK(ds.load_pixels(0).pixels.size(0) == 96);  // 300x200 -> 144x96
    CHECK(ds.load_pixels(0).pixels.size(1) == 144);
    CHECK(ds.load_pixels(0).source_w == 300);
  }
  auto first = ImageFolderDataset(dir.path("photos"), 3, options).load_pixels(2).pixels.clone();
  {
    ImageFolderDataset ds(dir.path("photos"), 3, options);
    CHECK(ds.cache_stats().reused == files);
    ds.prepare({}, {});
    CHECK(ds.cache_stats().misses == 0);  // nothing decoded again
    CHECK(torch::equal(ds.load_pixels(2).pixels, first));
  }
  // Modified (new size and time), removed and added files are noticed.
  write_png(dir.path("photos/cats/a.png"), 320, 200, 9);
  std::filesystem::remove(dir.path("photos/cats/b.png"));
  write_png(dir.path("photos/cats/e.png"), 200, 200, 5);
  {
    ImageFolderDataset ds(dir.path("photos"), 3, options);
    const auto s = ds.cache_stats();
    CHECK(s.reused == files - 2);  // c (and d) still valid
    CHECK(s.invalidated == 2);     // a changed, b gone
    ds.prepare({}, {});
    CHECK(ds.cache_stats().misses == 2);  // a and e decoded
    CHECK(ds.load_pixels(0).source_w == 320);
  }
  // Same size, new modification time: decoded again.
  struct utimbuf times {
    1000000000, 1000000000
  };
  utime(dir.path("photos/dogs/c.png").c_str(), &times);
  ImageFolderDataset ds(dir.path("photos"), 3, options);
  CHECK(ds.cache_stats().invalidated == 1);
}

TEST_CASE("the memory budget is honoured by spilling to the cache file") {
  TempDir dir;
  for (int i = 0; i < 6; ++i)
    write_png(dir.path("p/img" + std::to_string(i) + ".png"), 160, 120, i);
  auto options = cached(dir.path("cache"), 64);  // 85x64x3 = 16 KiB per picture
  options.memory_budget = 40 * 1024;             // room for two
  ImageFolderDataset ds(dir.path("p"), 3, options);
  ds.prepare({}, {});
  auto s = ds.cache_stats();
  CHECK(s.in_memory == 2);
  CHECK(s.memory_bytes <= options.memory_budget);
  CHECK(s.on_disk == 6);
  CHECK(s.disk_bytes == 6 * 64 * 85 * 3);
  // Spilled pictures come back from the file, equal to a fresh decode.
  for (int64_t i = 0; i < 6; ++i) {
    auto again = load_photo(dir.path("p/img" + std::to_string(i) + ".png"), 3, 64);
    CHECK(torch::equal(ds.load_pixels(i).pixels, again.pixels));
  }
  CHECK(ds.cache_stats().memory_bytes <= options.memory_budget);
  // A batch from the loader works over entries read back from the file.
  LoaderConfig lc;
  lc.batch = 6;
  lc.augment.out_h = lc.augment.out_w = 32;
  lc.mean = {0.5, 0.5, 0.5};
  lc.std = {0.25, 0.25, 0.25};
  auto shared = std::make_shared<ImageFolderDataset>(dir.path("p"), 3, options);
  BatchLoader loader(shared, lc, 0);
  CHECK(loader.next().sizes() == torch::IntArrayRef({6, 3, 32, 32}));
  // The cache file cut to nothing by hand while in use: spilled pictures are decoded again
  // (a mapping would have died with SIGBUS here).
  int cut = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir.path("cache")))
    if (f.path().extension() == ".pixels") cut += ::truncate(f.path().c_str(), 0) == 0;
  REQUIRE(cut >= 1);
  const auto misses = ds.cache_stats().misses;
  for (int64_t i = 0; i < 6; ++i) {
    auto again = load_photo(dir.path("p/img" + std::to_string(i) + ".png"), 3, 64);
    CHECK(torch::equal(ds.load_pixels(i).pixels, again.pixels));
  }
  CHECK(ds.cache_stats().misses > misses);
  CHECK(loader.next().sizes() == torch::IntArrayRef({6, 3, 32, 32}));
}

TEST_CASE("corrupt files are skipped, counted and named in the first pass and the loader") {
  TempDir dir;
  write_png(dir.path("p/good1.png"), 100, 80, 1);
  write_png(dir.path("p/good2.png"), 90, 120, 2);
  std::filesystem::create_directories(dir.path("p"));
  write_bytes(dir.path("p/broken.png"), std::vector<uint8_t>(60, 7));
  auto truncated = jpeg::available()
                       ? jpeg::encode(photo_pixels(200, 150, 3).data(), 200, 150, 3, 90)
                       : std::vector<uint8_t>{0xff, 0xd8, 0xff, 0xe0};
  truncated.resize(truncated.size() / 2);
  write_bytes(dir.path("p/truncated.jpg"), truncated);
  ImageFolderDataset ds(dir.path("p"), 3, cached(dir.path("cache"), 48));
  std::vector<DataProgress> seen;
  ds.prepare([&](const DataProgress& p) { seen.push_back(p); }, {});
  CHECK(ds.unreadable_files() == 2);
  // Each named with its problem, in the folder's order, for the line a person is shown.
  const auto unreadable = ds.unreadable();
  REQUIRE(unreadable.size() == 2);
  CHECK(unreadable[0].find("broken.png") != std::string::npos);
  CHECK(unreadable[1].find("truncated.jpg") != std::string::npos);
  REQUIRE(!seen.empty());
  CHECK(seen.back().stage == DataProgress::Stage::Ready);
  CHECK(seen.back().failed == 2);
  CHECK(seen.back().line().find("2 unreadable") != std::string::npos);
  try {
    ds.load_pixels(1);  // sorted: broken.png, good1.png, good2.png, truncated.jpg
    ds.load_pixels(3);
    FAIL("a truncated JPEG was accepted");
  } catch (const ImageError& e) {
    const std::string what = e.what();
    CHECK(what.find("truncated.jpg") != std::string::npos);
    CHECK(what.find("png sig") == std::string::npos);  // not a PNG message for a JPEG
  }
  LoaderConfig lc;
  lc.batch = 8;
  lc.augment.out_h = lc.augment.out_w = 16;
  lc.mean = {0, 0, 0};
  lc.std = {1, 1, 1};
  auto shared = std::make_shared<ImageFolderDataset>(dir.path("p"), 3, cached(dir.path("c2"), 48));
  BatchLoader loader(shared, lc, 0);
  CHECK(loader.next().size(0) == 8);
  CHECK(loader.skipped_files() >= 2);
}

TEST_CASE("files left out are named, the first few, and the rest counted") {
  CHECK(left_out_lines({}, 3).empty());
  CHECK(left_out_lines({"'a.jpg': truncated"}, 3) ==
        std::vector<std::string>{"left out 'a.jpg': truncated"});
  const std::vector<std::string> many(12, "'b.png': not a picture");
  const auto lines = left_out_lines(many, 10);
  REQUIRE(lines.size() == 11);
  CHECK(lines[9] == "left out 'b.png': not a picture");
  CHECK(lines[10] == "left out 2 more files that could not be read");
}

TEST_CASE("progress lines a person can read") {
  DataProgress p;
  p.stage = DataProgress::Stage::Indexing;
  p.done = 12000;
  CHECK(p.line() == "indexing 12 000 files");
  p.stage = DataProgress::Stage::FirstPass;
  p.done = 312;
  p.total = 12000;
  p.per_second = 45;
  p.seconds_left = 260;
  CHECK(p.line() == "first pass: decoded 312 of 12 000, 45 img/s, 4m20s left");
}

TEST_CASE("Fashion-MNIST labels travel with the images") {
  REQUIRE_MESSAGE(std::filesystem::exists(fashion_mnist_dir()),
                  "Fashion-MNIST is missing: the test command installs it");
  auto test = open_dataset("fashion-mnist:test", 1);
  CHECK(test->label(0) == 9);  // the first test image is an ankle boot
  CHECK(test->label(1) == 2);  // then a pullover
  CHECK(test->class_names().size() == 10);
  CHECK(test->class_names()[9] == "Ankle boot");
}

TEST_CASE("a preset's recipe is complete and the same everywhere") {
  auto r = preset_recipe("rgb-small");
  CHECK(r.train.batch == 64);
  CHECK(r.train.base_lr == doctest::Approx(1.5e-3));
  CHECK(r.train.total_steps == 2000);
  CHECK(r.train.warmup_steps == 100);
  CHECK(r.train.crop_scale_min == doctest::Approx(0.2));
  CHECK(r.train.mask_ratio == doctest::Approx(0.75));
  CHECK_FALSE(r.model.norm_pix_loss);
  CHECK(preset_recipe("vit-b16").model.norm_pix_loss);
  set_total_steps(r, 400);
  CHECK(r.train.warmup_steps == 20);
  const auto options = training_data_options(r.model, r.train);
  CHECK(options.short_side_cap == 192);
  CHECK(options.disk_cache);
  CHECK(describe_recipe(r.model, r.train).find("batch 64") != std::string::npos);
}

TEST_CASE("commands default to the ratio a checkpoint was trained with") {
  ModelFile file;
  CHECK(default_mask_ratio(file) == doctest::Approx(0.75));
  file.trained_mask_ratio = 0.6;
  CHECK(default_mask_ratio(file) == doctest::Approx(0.6));
  CHECK(*mask_ratio_from_hf_json(R"({"model_type": "vit_mae", "mask_ratio": 0.9})") ==
        doctest::Approx(0.9));
  CHECK_FALSE(mask_ratio_from_hf_json(R"({"mask_ratio": 1.5})"));
  CHECK_FALSE(mask_ratio_from_hf_json("not json"));
}
