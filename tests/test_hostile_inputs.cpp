// Why: every class of hostile file found by hand or by the fuzzers stays here as a
// regression test. Each must end in one line naming the file and the problem: never a crash,
// never uninitialised memory in the output, never a huge allocation from a small file.
#include <doctest/doctest.h>
#include <torch/torch.h>
#include <unistd.h>
#include <zlib.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "data/dataset.h"
#include "data/image_folder.h"
#include "data/image_io.h"
#include "data/jpeg_decoder.h"
#include "data/photo_decode.h"
#include "data/stb_backend.h"
#include "data/tiff_decoder.h"
#include "data/webp_decoder.h"
#include "io/checkpoint.h"
#include "io/hf_vitmae.h"
#include "io/model_files.h"
#include "io/nonfinite_weights.h"
#include "io/safetensors.h"
#include "io/tensor_names.h"
#include "io/torch_pickle.h"
#include "io/zip_archive.h"
#include "model/presets.h"
#include "model/state_shapes.h"
#include "model/vit_block.h"
#include "small_configs.h"
#include "test_support.h"
#include "util/inflate.h"
#include "util/read_progress.h"

using namespace mae;
using namespace std::string_literals;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The message of what `action` throws as E; fails the test when it does not throw.
template <typename E, typename F>
std::string error_of(F&& action) {
  try {
    action();
  } catch (const E& e) {
    return e.what();
  }
  FAIL("no exception was thrown");
  return "";
}

std::vector<uint8_t> bmp_24bit(int w, int h) {
  const int row = (w * 3 + 3) / 4 * 4;
  const uint32_t size = 54 + static_cast<uint32_t>(row * h);
  std::vector<uint8_t> b(size, 0);
  auto put32 = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
  };
  b[0] = 'B';
  b[1] = 'M';
  put32(2, size);
  put32(10, 54);
  put32(14, 40);
  put32(18, static_cast<uint32_t>(w));
  put32(22, static_cast<uint32_t>(h));
  b[26] = 1;
  b[28] = 24;
  for (size_t i = 54; i < b.size(); ++i) b[i] = static_cast<uint8_t>(i * 37);
  return b;
}

std::vector<uint8_t> gradient_rgb(int w, int h) {
  std::vector<uint8_t> px(static_cast<size_t>(w * h * 3));
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>((i * 7) ^ (i >> 5));
  return px;
}

// Leaves freed heap memory full of a pattern, so that a decoder reading memory it never
// wrote gives a different result after each call.
void dirty_the_heap(uint8_t pattern) {
  for (size_t size : {size_t{1} << 12, size_t{1} << 16, size_t{1} << 20}) {
    void* p = std::malloc(size);
    std::memset(p, pattern, size);
    std::free(p);
  }
}

// A torch.save archive whose data.pkl is `pickle`, with the given storages.
void write_torch_archive(const std::string& path, const std::vector<uint8_t>& pickle,
                         const std::vector<ZipRecord>& storages = {}) {
  std::vector<ZipRecord> records = {{"archive/data.pkl", pickle}};
  for (const auto& s : storages) records.push_back({"archive/data/" + s.name, s.bytes});
  records.push_back({"archive/version", {'3', '\n'}});
  write_zip(path, records);
}

std::vector<uint8_t> bytes_of(const std::string& text) { return {text.begin(), text.end()}; }

// Pickle fragment: a tensor rebuilt from storage "0" (FloatStorage, `numel` elements) with
// the given sizes and strides.
std::string tensor_pickle(int numel, const std::string& sizes, const std::string& strides) {
  return "ctorch._utils\n_rebuild_tensor_v2\n("s + "(X\x07\0\0\0storage"s +
         "ctorch\nFloatStorage\nX\x01\0\0\0"s + "0" + "X\x03\0\0\0cpu"s + "K" +
         static_cast<char>(numel) + "tQ" + "K\0"s + sizes + strides + "\x89" + "tR";
}

}  // namespace

TEST_CASE(
    "hostile images: only JPEG, PNG, BMP, WebP, PNM and TIFF reach a decoder, whatever the file is "
    "called") {
  TempDir dir;
  std::vector<uint8_t> pic(120, 0x41);
  pic[0] = 0x53;
  pic[1] = 0x80;
  pic[2] = 0xF6;
  pic[3] = 0x34;
  write_bytes(dir.path("crash.png"), pic);
  const auto message = error_of<ImageError>([&] { load_image(dir.path("crash.png"), 3); });
  CHECK(contains(message, "crash.png"));
  CHECK(contains(message, "looks like a PIC"));
  write_bytes(dir.path("float.pfm"), bytes_of("Pf\n4 4\n-1.0\n"));
  CHECK(contains(error_of<ImageError>([&] { load_photo(dir.path("float.pfm"), 3, 0); }),
                 "not a JPEG, PNG, BMP, WebP, PNM or TIFF file; it looks like a PFM"));
  std::vector<uint8_t> tga = {0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 64, 0, 24, 0};
  write_bytes(dir.path("short.tga"), tga);
  CHECK(contains(error_of<ImageError>([&] { load_image(dir.path("short.tga"), 1); }),
                 "not a JPEG, PNG, BMP, WebP, PNM or TIFF file"));
  const std::vector<uint8_t> heic = {0, 0, 0, 24, 'f', 't', 'y', 'p', 'h', 'e', 'i', 'c', 0, 0};
  write_bytes(dir.path("IMG_0001.HEIC"), heic);
  CHECK(contains(error_of<ImageError>([&] { load_image(dir.path("IMG_0001.HEIC"), 3); }),
                 "it looks like a HEIC (a phone's photo: convert it to JPEG)"));
  CHECK_FALSE(has_image_extension("x.tga"));
  CHECK(has_image_extension("x.JPG"));
}

TEST_CASE(
    "truncated JPEG, PNG, BMP and WebP decode the same way every time, or say which format broke") {
  REQUIRE_MESSAGE(jpeg::available(), "built without libjpeg-turbo (the set-up script installs it)");
  REQUIRE_MESSAGE(webp::available(), "built without libwebp (the set-up script installs it)");
  const auto px = gradient_rgb(40, 24);
  const std::vector<std::pair<std::string, std::vector<uint8_t>>> files = {
      {"JPEG", jpeg::encode(px.data(), 40, 24, 3, 90)},
      {"PNG", stb::encode_png(px.data(), 40, 24, 3)},
      {"BMP", bmp_24bit(40, 24)},
      {"WebP", webp::encode(px.data(), 40, 24, 3, 90.0f)},
      {"WebP", webp::encode(px.data(), 40, 24, 3, -1.0f)}};
  for (const auto& [format, whole] : files) {
    for (double keep : {0.3, 0.6, 0.9, 0.99}) {
      const std::vector<uint8_t> cut(
          whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(whole.size() * keep));
      std::string first_error, second_error;
      at::Tensor first, second;
      for (int round = 0; round < 2; ++round) {
        dirty_the_heap(round ? 0xAA : 0x55);
        try {
          (round ? second : first) = decode_photo(cut, 3, 0).pixels.clone();
        } catch (const ImageError& e) {
          (round ? second_error : first_error) = e.what();
        }
      }
      CAPTURE(format);
      CAPTURE(keep);
      CHECK(first_error == second_error);
      if (first_error.empty())
        CHECK(at::equal(first, second));
      else
        CHECK_MESSAGE(contains(first_error, format), first_error);
    }
  }
}

// Each header below would have a reader allocate for pixels the file does not hold, read past
// its end, or take a number it cannot hold; each is refused with what is wrong, before any
// pixel buffer is made.
TEST_CASE("hostile PNM files: truncated, oversized and malformed headers and samples") {
  const std::pair<std::string, std::string> refused[] = {
      {"P5\n64 64\n255\n\x01\x02", "truncated PNM (its pixels need 4096 bytes, the file has 2)"},
      {"P6\n10000 10000\n65535\n", "truncated PNM (its pixels need 600000000 bytes"},
      {"P4\n9 2\n\x01\x02\x03", "truncated PNM (its pixels need 4 bytes, the file has 3)"},
      {"P2\n10000 10000\n255\n1 2 3", "truncated PNM (too few samples for its 10000x10000"},
      {"P2\n2 2\n255\n1 2 3", "truncated PNM (3 of its 4 samples)"},
      {"P2\n2 1\n10\n3 11", "corrupt PNM (sample '11' with maxval 10)"},
      {"P3\n1 1\n255\n1 -2 3", "corrupt PNM (sample '-2' with maxval 255)"},
      {"P2\n1 1\n255\n00000000001", "corrupt PNM (sample '00000000001' with maxval 255)"},
      {"P1\n2 2\n0 1 2 0", "corrupt PBM (a pixel that is not 0 or 1)"},
      {"P1\n2 2\n0 1 1#\n", "truncated PBM (3 of its 4 pixels)"},
      {"P5\n4 4\n0\n", "corrupt PNM header (maxval 0, not 1 to 65535)"},
      {"P5\n4 4\n65536\n", "corrupt PNM header (maxval 65536, not 1 to 65535)"},
      {"P6\n4\n", "truncated PNM header (no height)"},
      {"P6\n# only a comment", "truncated PNM header (no width)"},
      {"P6\n4x 4\n255\n", "corrupt PNM header (its width is '4x')"},
      {"P6\n4\x01\xff 4\n255\n",
       "corrupt PNM header (its width is '4?"
       "?')"},
      {"P6\n99999999999 1\n255\n", "corrupt PNM header (its width is '99999999999')"},
      {"P6\n-4 4\n255\n", "corrupt PNM header (its size is -4x4)"},
      {"P6\n0 4\n255\n", "image is 0x4: it has no pixels"},
      {"P6\n70000 2\n255\n", "beyond the limit of 65535 px per side"},
      {"P5\n60000 60000\n255\n", "(3600.0 MP), beyond the limit of 179.0 MP"}};
  for (const auto& [text, why] : refused) {
    CAPTURE(text);
    const auto bytes = bytes_of(text);
    CHECK_THROWS_WITH_AS(decode_photo(bytes, 3, 0), doctest::Contains(why.c_str()), ImageError);
    CHECK_THROWS_WITH_AS(decode_image(bytes, 1), doctest::Contains(why.c_str()), ImageError);
  }
  // Every cut of a good file either decodes (a whole one) or says what is wrong.
  std::string good = "P3\n# c\n2 2\n255\n1 2 3  4 5 6\n7 8 9 10 11 12\n";
  for (size_t size = 0; size < good.size(); ++size) {
    const auto cut = bytes_of(good.substr(0, size));
    std::string outcome;
    try {
      outcome = std::to_string(decode_photo(cut, 3, 0).pixels.numel()) + " values";
    } catch (const ImageError& e) {
      outcome = e.what();
    }
    CHECK_MESSAGE(
        (outcome == "12 values" || outcome.find("PNM") != std::string::npos ||
         outcome.find("not a JPEG") != std::string::npos || outcome == "the file is empty"),
        outcome);
  }
}

// libtiff reads these from memory, inside a cap on its allocations, with its messages
// caught: a file cut anywhere, or one whose header promises a picture it does not hold, is
// refused with libtiff's own reason and nothing is printed.
TEST_CASE("hostile TIFF files: cut short, oversized and looping headers") {
  REQUIRE_MESSAGE(tiff::available(), "built without libtiff (the set-up script installs it)");
  const auto good = read_bytes(MAE_TEST_DATA_DIR "/tiff-rgb-lzw.tif");
  for (size_t size = 1; size < good.size(); size += 7) {
    CAPTURE(size);
    const std::vector<uint8_t> cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(size));
    std::string outcome;
    try {
      outcome = std::to_string(decode_photo(cut, 3, 0).pixels.numel()) + " values";
    } catch (const ImageError& e) {
      outcome = e.what();
    }
    CHECK_MESSAGE((outcome == "273 values" || outcome.find("TIFF") != std::string::npos ||
                   outcome.find("not a JPEG") != std::string::npos),
                  outcome);
  }
  // Cut before its pixels, it says where in plain words, not "Can not read TIFF directory count".
  // Its directory is at byte 306, and its BitsPerSample values at 428.
  for (const auto& [size, reason] : std::vector<std::pair<size_t, std::string>>{
           {5, "the file ends inside its header"},
           {100, "the directory that describes its picture lies past the end of the file"},
           {400, "the file ends inside the directory that describes its picture"},
           {428, "the values of its tag \"BitsPerSample\" lie past the end of the file"}}) {
    CAPTURE(size);
    const std::vector<uint8_t> cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(size));
    CHECK_THROWS_WITH_AS(decode_photo(cut, 3, 0), ("corrupt TIFF header (" + reason + ")").c_str(),
                         ImageError);
  }
  // Cut inside its pixels, a file says so, not libtiff's "Read error at scanline 4294967295".
  auto cut_pixels = read_bytes(MAE_TEST_DATA_DIR "/tiff-bigtiff.tif");
  cut_pixels.resize(300);
  CHECK_THROWS_WITH_AS(decode_photo(cut_pixels, 3, 0),
                       "corrupt or truncated TIFF (the file ends inside its pixel data: a strip "
                       "has 68 of its 273 bytes)",
                       ImageError);
  // A tile whose offset (tag 324, one LONG) puts it 10 bytes before the end of the file.
  auto cut_tile = read_bytes(MAE_TEST_DATA_DIR "/tiff-tiled.tif");
  auto le = [&](size_t at, int bytes) {
    uint32_t v = 0;
    for (int k = bytes - 1; k >= 0; --k) v = v << 8 | cut_tile[at + static_cast<size_t>(k)];
    return v;
  };
  const size_t directory = le(4, 4);
  for (uint32_t i = 0; i < le(directory, 2); ++i) {
    const size_t entry = directory + 2 + 12 * i;
    if (le(entry, 2) != 324) continue;
    const auto offset = static_cast<uint32_t>(cut_tile.size() - 10);
    for (int k = 0; k < 4; ++k) cut_tile[entry + 8 + static_cast<size_t>(k)] = offset >> (8 * k);
  }
  CHECK_THROWS_WITH_AS(decode_photo(cut_tile, 3, 0),
                       "corrupt or truncated TIFF (the file ends inside its pixel data: a tile "
                       "has 10 of its 342 bytes)",
                       ImageError);
  // A little-endian file of one directory (width, height, one strip of 4 bytes at byte 62)
  // and the 4 bytes: a picture of w x h that does not hold its pixels.
  auto tiff_of = [](uint32_t w, uint32_t h, uint32_t next_directory) {
    std::vector<uint8_t> file = {'I', 'I', 42, 0, 8, 0, 0, 0, 4, 0};
    auto le32 = [&](uint32_t v) {
      for (int k = 0; k < 4; ++k) file.push_back(static_cast<uint8_t>(v >> (8 * k)));
    };
    for (const auto& [tag, value] :
         {std::pair<uint16_t, uint32_t>{256, w}, {257, h}, {273, 62}, {279, 4}}) {
      file.push_back(static_cast<uint8_t>(tag));
      file.push_back(static_cast<uint8_t>(tag >> 8));
      file.push_back(4);  // LONG
      file.push_back(0);
      le32(1);
      le32(value);
    }
    le32(next_directory);
    le32(0x01020304);
    return file;
  };
  CHECK_THROWS_WITH_AS(decode_photo(tiff_of(60000, 60000, 0), 3, 0),
                       doctest::Contains("(3600.0 MP), beyond the limit of 179.0 MP"), ImageError);
  CHECK_THROWS_WITH_AS(decode_photo(tiff_of(600, 600, 0), 3, 0), doctest::Contains("TIFF ("),
                       ImageError);
  // A directory that names itself as the next one: the first is still the one read.
  CHECK_THROWS_WITH_AS(decode_photo(tiff_of(600, 600, 8), 3, 0), doctest::Contains("TIFF ("),
                       ImageError);
}

TEST_CASE("a PNG cannot make its decoder allocate beyond what its size and header allow") {
  // A 2 GiB IDAT declared in a file of a few dozen bytes (found by fuzz_image_decode).
  auto liar = png_start(16, 16, 2);
  append_png_chunk(&liar, "IDAT", {0x78, 0x9C, 0x63, 0x60}, 0x7FFFFF00u);
  // A deflate stream of 64 MiB of zeros behind a 16x16 gray header (272 bytes of rows).
  std::vector<uint8_t> zeros(size_t{64} << 20, 0);
  uLongf packed_size = compressBound(zeros.size());
  std::vector<uint8_t> packed(packed_size);
  REQUIRE(compress2(packed.data(), &packed_size, zeros.data(), zeros.size(), 9) == Z_OK);
  packed.resize(packed_size);
  auto bomb = png_start(16, 16, 0);
  append_png_chunk(&bomb, "IDAT", packed);
  append_png_chunk(&bomb, "IEND", {});
  for (const auto* png : {&liar, &bomb}) {
    CHECK(contains(error_of<ImageError>([&] { decode_photo(*png, 3, 0); }),
                   "would need more memory than its size and header allow"));
    CHECK(contains(error_of<ImageError>([&] { decode_image(*png, 1); }), "PNG"));
  }
  // The same header with the right amount of data still decodes.
  const std::vector<uint8_t> rows(16 * 17, 0);
  packed_size = compressBound(rows.size());
  packed.assign(packed_size, 0);
  REQUIRE(compress2(packed.data(), &packed_size, rows.data(), rows.size(), 9) == Z_OK);
  packed.resize(packed_size);
  auto honest = png_start(16, 16, 0);
  append_png_chunk(&honest, "IDAT", packed);
  append_png_chunk(&honest, "IEND", {});
  CHECK(decode_photo(honest, 3, 0).pixels.sizes() == at::IntArrayRef({16, 16, 3}));
}

TEST_CASE("a PNG with an empty IDAT chunk before its data decodes as without it") {
  // stb would memcpy the empty chunk to a buffer it has not allocated yet (found by
  // fuzz_image_decode under UBSan; its input is among the fuzz seeds).
  std::vector<uint8_t> rows(8 * 25);
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = i % 25 == 0 ? 0 : static_cast<uint8_t>(i * 7);
  uLongf packed_size = compressBound(rows.size());
  std::vector<uint8_t> packed(packed_size);
  REQUIRE(compress2(packed.data(), &packed_size, rows.data(), rows.size(), 9) == Z_OK);
  packed.resize(packed_size);
  auto plain = png_start(8, 8, 2), padded = png_start(8, 8, 2);
  append_png_chunk(&padded, "IDAT", {});
  for (auto* png : {&plain, &padded}) {
    append_png_chunk(png, "IDAT", packed);
    append_png_chunk(png, "IEND", {});
  }
  const auto expected = decode_photo(plain, 3, 0).pixels;
  CHECK(torch::equal(decode_photo(padded, 3, 0).pixels, expected));
  CHECK(torch::equal(decode_image(padded, 3), decode_image(plain, 3)));
}

TEST_CASE("a BMP cut short is refused instead of decoding its missing rows as black") {
  const auto whole = bmp_24bit(5, 3);
  const auto image = decode_image(whole, 3);  // (C, H, W); rows are stored bottom-up, as BGR
  const size_t top_left = 54 + 2 * 16;        // rows of 5 * 3 bytes padded to 16
  for (int c = 0; c < 3; ++c)
    CHECK(image[c][0][0].item<float>() * 255 ==
          doctest::Approx(static_cast<uint8_t>((top_left + 2 - c) * 37)));
  auto cut = whole;
  cut.pop_back();
  CHECK(contains(error_of<ImageError>([&] { decode_image(cut, 3); }), "truncated BMP"));
  CHECK(contains(error_of<ImageError>([&] { decode_photo(cut, 3, 0); }), "truncated BMP"));
  // 58 bytes whose header claims 163 x 9220 pixels (found slowing fuzz_image_decode: stb
  // decoded every one of them from nothing).
  auto claims_more = bmp_24bit(1, 1);
  claims_more[18] = 163, claims_more[22] = 0x04, claims_more[23] = 0x24;
  CHECK(contains(error_of<ImageError>([&] { decode_image(claims_more, 3); }),
                 "promises 4536240 bytes of pixels from byte 54, the file has 58 bytes"));
  claims_more[30] = claims_more[31] = claims_more[32] = claims_more[33] = 0xDC;  // compression
  CHECK(contains(error_of<ImageError>([&] { decode_image(claims_more, 3); }), "truncated BMP"));
  claims_more[28] = 0x18, claims_more[29] = 0xFF;  // 65304 bits per pixel
  CHECK(contains(error_of<ImageError>([&] { decode_image(claims_more, 3); }),
                 "unsupported BMP (65304 bits per pixel)"));
  claims_more.resize(29);  // stb would read the rest of the header as zeros
  CHECK(contains(error_of<ImageError>([&] { decode_image(claims_more, 3); }),
                 "header is cut short at 29 bytes"));
}

TEST_CASE("long tensor names are refused without a regular expression") {
  const std::string long_name = "blocks.0." + std::string(1 << 20, 'a') + ".weight";
  CHECK_FALSE(parse_block_name(long_name, {"blocks"}).has_value());
  NamedTensors ours = {{long_name, torch::zeros({1})}};
  CHECK(contains(error_of<CheckpointError>([&] { to_hf_names(ours); }), "above the limit"));
  NamedTensors hf = {
      {"vit.encoder.layer.0." + std::string(1 << 20, 'x') + ".bias", torch::zeros({1})}};
  CHECK_THROWS_AS(from_hf_names(hf), CheckpointError);
  const auto parsed =
      parse_block_name("decoder_blocks.12.attn.qkv.weight", {"blocks", "decoder_blocks"});
  REQUIRE(parsed.has_value());
  CHECK(parsed->stack == "decoder_blocks");
  CHECK(parsed->index == 12);
  CHECK(parsed->part == "attn.qkv");
  CHECK(parsed->kind == "weight");
  CHECK_FALSE(parse_block_name("blocks..weight", {"blocks"}).has_value());
  CHECK_FALSE(parse_block_name("blocks.99999.norm1.weight", {"blocks"}).has_value());
}

TEST_CASE("hostile pickles: nesting, budgets, views and shared storages") {
  TempDir dir;
  // A million nested lists: refused at the depth limit, torn down without recursion.
  std::string deep = "\x80\x02";
  for (int i = 0; i < 1000000; ++i) deep += "]";
  for (int i = 0; i < 999999; ++i) deep += "a";
  deep += ".";
  write_torch_archive(dir.path("deep.pth"), bytes_of(deep));
  CHECK(contains(error_of<CheckpointError>([&] { load_torch_archive(dir.path("deep.pth")); }),
                 "nested deeper than"));
  // Two million pushes of one memoised value: the stack budget stops it.
  std::string wide = "\x80\x02N\x94";
  for (int i = 0; i < 2000000; ++i) wide += "h\x00"s;
  wide += ".";
  write_torch_archive(dir.path("wide.pth"), bytes_of(wide));
  CHECK(contains(error_of<CheckpointError>([&] { load_torch_archive(dir.path("wide.pth")); }),
                 "budget"));
  // A length that wraps the read position around.
  write_torch_archive(dir.path("wrap.pth"),
                      bytes_of(std::string("\x80\x02\x8d") + std::string(8, '\xff') + "."));
  CHECK(contains(error_of<CheckpointError>([&] { load_torch_archive(dir.path("wrap.pth")); }),
                 "truncated"));
  // A mark below the stack.
  write_torch_archive(dir.path("mark.pth"), bytes_of("\x80\x02]N(NNsat."));
  CHECK(contains(error_of<CheckpointError>([&] { load_torch_archive(dir.path("mark.pth")); }),
                 "mark below the stack"));
  // A stride-0 view of a 4-element storage claiming 200x200 elements: refused before any copy.
  const std::vector<ZipRecord> storage = {{"0", std::vector<uint8_t>(16, 0)}};
  const std::string stride0 =
      "\x80\x02}X\x01\0\0\0w"s + tensor_pickle(4, "K\xc8K\xc8\x86", "K\0K\0\x86"s) + "s.";
  write_torch_archive(dir.path("stride0.pth"), bytes_of(stride0), storage);
  CHECK(contains(error_of<CheckpointError>([&] { load_torch_archive(dir.path("stride0.pth")); }),
                 "storage"));
  // A view reaching past its storage.
  const std::string outside =
      "\x80\x02}X\x01\0\0\0w"s + tensor_pickle(4, "K\x02\x85", "K\x04\x85") + "s.";
  write_torch_archive(dir.path("outside.pth"), bytes_of(outside), storage);
  CHECK(contains(error_of<CheckpointError>([&] { load_torch_archive(dir.path("outside.pth")); }),
                 "outside its storage"));
  // Two tensor records over one whole storage: the first is the storage, uncopied (no second
  // copy of every weight while loading), the second a copy of its own.
  std::vector<uint8_t> four_floats(16);
  const float values[4] = {1, 2, 3, 4};
  std::memcpy(four_floats.data(), values, sizeof values);
  const std::string twice = "\x80\x02}(X\x01\0\0\0w"s + tensor_pickle(4, "K\x04\x85", "K\x01\x85") +
                            "X\x01\0\0\0v"s + tensor_pickle(4, "K\x04\x85", "K\x01\x85") + "u.";
  write_torch_archive(dir.path("twice.pth"), bytes_of(twice), {{"0", four_floats}});
  std::string under;
  const auto both = state_dict_of(load_torch_archive(dir.path("twice.pth")), &under);
  REQUIRE(both.size() == 2);
  CHECK(at::equal(both[0].second, torch::tensor({1.0f, 2.0f, 3.0f, 4.0f})));
  CHECK(at::equal(both[1].second, both[0].second));
  CHECK(both[1].second.data_ptr() != both[0].second.data_ptr());
  // A storage claiming more elements than its record holds.
  const std::string short_storage =
      "\x80\x02}X\x01\0\0\0w"s + tensor_pickle(100, "K\x02\x85", "K\x01\x85") + "s.";
  write_torch_archive(dir.path("short.pth"), bytes_of(short_storage), storage);
  CHECK(contains(error_of<CheckpointError>([&] { load_torch_archive(dir.path("short.pth")); }),
                 "shorter than"));
}

TEST_CASE("deflated .pth entries are read, and a storage referenced twice is loaded once") {
  // Binaries built on another machine (scripts/prepare_gpu_run.sh) run from the checkout.
  const std::string built_in = std::string(MAE_TEST_DATA_DIR) + "/deflated_state_dict.pth";
  const std::string path =
      std::filesystem::exists(built_in) ? built_in : "tests/data/deflated_state_dict.pth";
  ReadProgress progress;
  set_thread_read_progress(&progress);
  const auto root = load_torch_archive(path);
  set_thread_read_progress(nullptr);
  std::string under;
  const auto state = state_dict_of(root, &under);
  CHECK(under == "model");
  REQUIRE(state.size() == 3);
  CHECK(at::equal(state[0].second, torch::arange(6.0).reshape({2, 3}).to(at::kFloat)));
  CHECK(at::equal(state[1].second, state[0].second));
  CHECK(progress.tensors.load() == 2);  // storages "0" and "1", though "0" is used twice
}

TEST_CASE("a checkpoint cut short in place while it is open is an error, not SIGBUS") {
  TempDir dir;
  const auto weights = torch::arange(1 << 16).to(at::kFloat);
  save_torch_state_dict(dir.path("a.pth"), {{"w", weights}}, "", "");
  write_safetensors(dir.path("a.safetensors"), {{"w", weights}}, {});
  ZipReader zip(dir.path("a.pth"));
  const auto size = std::filesystem::file_size(dir.path("a.pth"));
  REQUIRE(::truncate(dir.path("a.pth").c_str(), static_cast<off_t>(size / 2)) == 0);
  std::string storage;
  for (const auto& name : zip.names())
    if (contains(name, "/data/0")) storage = name;
  REQUIRE(!storage.empty());
  const auto message = error_of<CheckpointError>([&] { zip.read(storage); });
  CHECK(contains(message, "a.pth"));
  CHECK(contains(message, "shrank"));
  std::vector<float> into(1 << 16);
  CHECK_THROWS_AS(zip.read_into(storage, into.data(), into.size() * 4), CheckpointError);
  // Whole readers of a file already cut short name the file and what is missing.
  REQUIRE(::truncate(dir.path("a.safetensors").c_str(), 4096) == 0);
  CHECK(contains(error_of<CheckpointError>([&] { read_safetensors(dir.path("a.safetensors")); }),
                 "a.safetensors"));
  CHECK(
      contains(error_of<CheckpointError>([&] { load_torch_archive(dir.path("a.pth")); }), "a.pth"));
}

TEST_CASE("inflation is capped: a small bomb cannot fill memory") {
  std::vector<uint8_t> zeros(size_t{8} << 20, 0);
  uLongf packed_size = compressBound(zeros.size());
  std::vector<uint8_t> packed(packed_size);
  REQUIRE(compress2(packed.data(), &packed_size, zeros.data(), zeros.size(), 9) == Z_OK);
  packed.resize(packed_size);
  // zlib framing: skip the 2-byte header, inflate raw.
  std::vector<uint8_t> out;
  const auto problem = inflate_capped(packed.data() + 2, packed.size() - 2, InflateFormat::Raw,
                                      size_t{1} << 20, &out);
  CHECK(contains(problem, "more than 1048576 bytes"));
  CHECK(out.empty());
  CHECK(inflate_capped(packed.data() + 2, packed.size() - 2, InflateFormat::Raw, zeros.size() + 1,
                       &out)
            .empty());
  CHECK(out.size() == zeros.size());
  CHECK(contains(
      inflate_capped(packed.data() + 2, packed.size() / 2, InflateFormat::Raw, zeros.size(), &out),
      "truncated"));
  // A gzip member of a few dozen bytes whose trailer claims 400 MiB reserves what its deflate
  // data could produce, not what it claims.
  std::vector<uint8_t> tiny = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0x03, 0x00};
  for (uint8_t b : {0, 0, 0, 0, 0, 0, 0, 0x19}) tiny.push_back(b);  // CRC 0, ISIZE 400 MiB
  std::vector<uint8_t> fresh;
  CHECK_FALSE(
      inflate_capped(tiny.data(), tiny.size(), InflateFormat::Gzip, size_t{512} << 20, &fresh)
          .empty());
  CHECK(fresh.capacity() < (size_t{1} << 20));
}

TEST_CASE("IDX headers that promise more than the file holds are refused") {
  TempDir dir;
  const uint8_t header[16] = {0, 0, 8, 3, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0x40, 0, 0, 0, 0x40, 0};
  std::vector<uint8_t> idx(64, 0);
  std::copy(header, header + 16, idx.begin());
  write_bytes(dir.path("big-images-idx3-ubyte"), idx);
  CHECK(contains(error_of<DataError>([&] { open_dataset(dir.path("big-images-idx3-ubyte"), 1); }),
                 "does not match"));
  write_bytes(dir.path("bad-images-idx3-ubyte.gz"), {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3});
  CHECK(contains(
      error_of<DataError>([&] { open_dataset(dir.path("bad-images-idx3-ubyte.gz"), 1); }), "gzip"));
}

TEST_CASE("checkpoint fields are validated before anything uses them") {
  TempDir dir;
  auto model = make_model(small_test_model(1), 0);
  NamedTensors tensors = model_state(model);
  const std::string config = small_test_model(1).to_json();
  auto write = [&](const std::string& name, const std::map<std::string, std::string>& meta) {
    write_safetensors(dir.path(name), tensors, meta);
    return dir.path(name);
  };
  const auto negative = write("negative.safetensors", {{"format", "mae-studio-checkpoint"},
                                                       {"model_config", config},
                                                       {"step", "-5"},
                                                       {"loss", "0.5"}});
  CHECK(contains(error_of<CheckpointError>([&] { read_checkpoint(negative); }),
                 "not a whole number"));
  auto huge = small_test_model(1);
  huge.embed_dim = 8192;
  huge.num_heads = 8;
  huge.depth = 128;
  const auto giant = write("giant.safetensors", {{"format", "mae-studio-checkpoint"},
                                                 {"model_config", huge.to_json()},
                                                 {"step", "1"},
                                                 {"loss", "0.5"}});
  CHECK(contains(error_of<CheckpointError>([&] { read_checkpoint(giant); }), "parameters"));
  const auto bad_train = write("train.safetensors", {{"format", "mae-studio-checkpoint"},
                                                     {"model_config", config},
                                                     {"step", "1"},
                                                     {"loss", "0.5"},
                                                     {"train_config", R"({"batch": -3})"}});
  CHECK(contains(error_of<CheckpointError>([&] { read_checkpoint(bad_train); }), "batch is -3"));
  // A channel count out of range with no mean or std given: the defaults it would size are
  // not built (in_chans -1 threw std::length_error, found by fuzz_json_configs).
  for (const char* channels : {"-1", "1099511627776"}) {
    auto j = nlohmann::json::parse(config);
    j["in_chans"] = nlohmann::json::parse(channels);
    j.erase("mean");
    j.erase("std");
    CHECK(contains(error_of<std::invalid_argument>([&] { MaeConfig::from_json(j.dump()); }),
                   "channel count"));
  }
  // Tensors that do not fit the config are named before the model is built.
  ModelFile file = read_model_file(write("good.safetensors", {{"format", "mae-studio-checkpoint"},
                                                              {"model_config", config},
                                                              {"step", "1"},
                                                              {"loss", "0.5"}}));
  file.tensors[0].second = torch::zeros({3, 3});
  CHECK(contains(error_of<CheckpointError>([&] { build_model(file, "cpu"); }), "model expects"));
}

TEST_CASE("the shapes worked out from a config match the model built from it") {
  for (const auto& config :
       {small_test_model(1), small_test_model(3), find_preset("rgb-small").model}) {
    auto model = make_model(config, 0);
    const auto state = model_state(model);
    std::map<std::string, std::vector<int64_t>> expected, built;
    for (const auto& [name, shape] : expected_state_shapes(config)) expected[name] = shape;
    for (const auto& [name, tensor] : state) built[name] = tensor.sizes().vec();
    CHECK(expected.size() == state.size());
    CHECK(expected == built);
    CHECK(state_misfit(config, state).empty());
    CHECK(config.parameter_count() > 0);
  }
}

TEST_CASE("hostile safetensors headers: deep nesting, overflowing shapes, non-objects") {
  TempDir dir;
  auto with_header = [&](const std::string& name, const std::string& header) {
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(header.size() >> (8 * i));
    bytes += header;
    bytes.append(64, '\0');
    write_bytes(dir.path(name), bytes_of(bytes));
    return dir.path(name);
  };
  const auto deep = with_header("deep.safetensors", std::string(4 << 20, '['));
  CHECK_THROWS_AS(read_safetensors(deep), CheckpointError);
  const auto overflow = with_header(
      "overflow.safetensors",
      R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 0]}})");
  CHECK(contains(error_of<CheckpointError>([&] { read_safetensors(overflow); }), "'w'"));
  const auto not_object = with_header("scalar.safetensors", R"({"w": 5})");
  CHECK(contains(error_of<CheckpointError>([&] { read_safetensors(not_object); }),
                 "not a tensor description"));
  CHECK(contains(error_of<CheckpointError>([&] { read_safetensors(dir.path("missing.st")); }),
                 "missing.st"));
}

TEST_CASE("Hugging Face configs: size limits, a regular file, ranges checked before building") {
  TempDir dir;
  std::filesystem::create_directories(dir.path("hf/config.json"));  // a folder, not a file
  write_safetensors(dir.path("hf/model.safetensors"), {{"x", torch::zeros({1})}}, {});
  CHECK(contains(error_of<CheckpointError>([&] { read_model_file(dir.path("hf")); }),
                 "not a regular file"));
  CHECK(contains(error_of<CheckpointError>([&] {
                   config_from_hf_json(R"({"model_type": "vit_mae", "image_size": 224,
                     "patch_size": 16, "num_channels": 3, "hidden_size": 1000000,
                     "num_hidden_layers": 1000, "num_attention_heads": 8,
                     "decoder_hidden_size": 512, "decoder_num_hidden_layers": 8,
                     "decoder_num_attention_heads": 16, "intermediate_size": 4000000,
                     "decoder_intermediate_size": 2048})");
                 }),
                 "config.json"));
  CHECK(contains(error_of<CheckpointError>([&] { config_from_hf_json(R"({"model_type": 5})"); }),
                 "config.json"));
  CHECK(contains(error_of<CheckpointError>([&] { config_from_hf_json("[1, 2"); }), "config.json"));
}

TEST_CASE("weights with NaN or infinite values are named where the file is read") {
  TempDir dir;
  auto model = make_model(small_test_model(1), 0);
  const auto path = dir.path("diverged.safetensors");
  save_checkpoint(path, model, {}, nullptr, 3, 0.5);
  CHECK(read_model_file(path).warning.empty());
  model->blocks[0]->as<BlockImpl>()->attn->qkv->weight.data()[0][1] = NAN;
  model->decoder_pred->bias.data()[2] = INFINITY;
  model->decoder_pred->bias.data()[3] = -INFINITY;
  save_checkpoint(path, model, {}, nullptr, 3, 0.5);
  const auto file = read_model_file(path);
  CHECK(file.warning ==
        "'" + path +
            "': 3 weight values are NaN or infinite, in 2 tensors (first "
            "blocks.0.attn.qkv.weight): its reconstructions, losses and features are NaN");
  // The file still opens: what it is and how it was trained can be read and shown.
  CHECK_NOTHROW(build_model(file, "cpu"));
  CHECK(nonfinite_weights_problem("x", {{"steps", torch::full({2}, -1, torch::kLong)}}).empty());
  CHECK(nonfinite_weights_problem("x", {{"w", torch::full({1}, NAN)}}) ==
        "'x': 1 weight value is NaN or infinite, in 1 tensor (first w): its reconstructions, "
        "losses and features are NaN");
}
