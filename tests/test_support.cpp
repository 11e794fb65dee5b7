// Why: PNG chunks are assembled by hand (CRC-32 and an uncompressed
// zlib stream) so the tests do not depend on a second image library.
#include "test_support.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "io/metrics_record.h"

TempDir::TempDir() {
  // mkdtemp replaces the six trailing X characters.
  std::string templ =
      (std::filesystem::temp_directory_path() / "mae-test-").string() + std::string(6, 'X');
  if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
  root = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

namespace {

uint32_t crc32(const std::vector<uint8_t>& data) {
  uint32_t crc = 0xffffffffu;
  for (uint8_t b : data) {
    crc ^= b;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void put32(std::vector<uint8_t>& v, uint32_t x) {
  for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<uint8_t>(x >> s));
}

}  // namespace

void append_png_chunk(std::vector<uint8_t>* png, const char* type, const std::vector<uint8_t>& data,
                      uint32_t declared) {
  put32(*png, declared == UINT32_MAX ? static_cast<uint32_t>(data.size()) : declared);
  std::vector<uint8_t> typed(type, type + 4);
  typed.insert(typed.end(), data.begin(), data.end());
  png->insert(png->end(), typed.begin(), typed.end());
  put32(*png, crc32(typed));
}

std::vector<uint8_t> png_start(uint32_t w, uint32_t h, uint8_t color_type, uint8_t depth,
                               uint8_t interlace) {
  static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  std::vector<uint8_t> png;
  png.reserve(64);
  png.insert(png.end(), signature, signature + 8);
  std::vector<uint8_t> ihdr;
  put32(ihdr, w);
  put32(ihdr, h);
  for (uint8_t field : {depth, color_type, uint8_t{0}, uint8_t{0}, interlace})
    ihdr.push_back(field);
  append_png_chunk(&png, "IHDR", ihdr);
  return png;
}

std::vector<uint8_t> png16_gray_2x1(uint16_t left, uint16_t right) {
  std::vector<uint8_t> raw = {0,  // filter: none
                              static_cast<uint8_t>(left >> 8), static_cast<uint8_t>(left),
                              static_cast<uint8_t>(right >> 8), static_cast<uint8_t>(right)};
  // A zlib header, then one stored block: its length and the length's complement.
  std::vector<uint8_t> z;
  for (uint8_t b : {uint8_t{0x78}, uint8_t{0x01}, uint8_t{1}, static_cast<uint8_t>(raw.size()),
                    uint8_t{0}, static_cast<uint8_t>(~raw.size()), uint8_t{0xff}})
    z.push_back(b);
  for (uint8_t b : raw) z.push_back(b);
  uint32_t a = 1, b = 0;
  for (uint8_t x : raw) {
    a = (a + x) % 65521;
    b = (b + a) % 65521;
  }
  put32(z, (b << 16) | a);
  auto png = png_start(2, 1, 0, 16);
  append_png_chunk(&png, "IDAT", z);
  append_png_chunk(&png, "IEND", {});
  return png;
}

std::vector<uint8_t> png_header_only(uint32_t width, uint32_t height) {
  auto png = png_start(width, height, 2);
  append_png_chunk(&png, "IEND", {});
  return png;
}

std::vector<int64_t> logged_steps(const std::string& path) {
  std::ifstream in(path);
  std::vector<int64_t> steps;
  for (std::string line; std::getline(in, line);) {
    const auto m = mae::parse_metrics_line(line);
    steps.push_back(m ? m->step : -1);
  }
  return steps;
}
