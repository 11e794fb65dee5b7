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

void chunk(std::vector<uint8_t>& png, const char* type, const std::vector<uint8_t>& data) {
  put32(png, static_cast<uint32_t>(data.size()));
  std::vector<uint8_t> typed(type, type + 4);
  typed.insert(typed.end(), data.begin(), data.end());
  png.insert(png.end(), typed.begin(), typed.end());
  put32(png, crc32(typed));
}

std::vector<uint8_t> ihdr(uint32_t w, uint32_t h, uint8_t depth, uint8_t color) {
  std::vector<uint8_t> d;
  put32(d, w);
  put32(d, h);
  d.insert(d.end(), {depth, color, 0, 0, 0});
  return d;
}

const std::vector<uint8_t> kSignature = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

}  // namespace

std::vector<uint8_t> png16_gray_2x1(uint16_t left, uint16_t right) {
  std::vector<uint8_t> raw = {0,  // filter: none
                              static_cast<uint8_t>(left >> 8), static_cast<uint8_t>(left),
                              static_cast<uint8_t>(right >> 8), static_cast<uint8_t>(right)};
  std::vector<uint8_t> z = {
      0x78, 0x01, 1, static_cast<uint8_t>(raw.size()), 0, static_cast<uint8_t>(~raw.size()), 0xff};
  z.insert(z.end(), raw.begin(), raw.end());
  uint32_t a = 1, b = 0;
  for (uint8_t x : raw) {
    a = (a + x) % 65521;
    b = (b + a) % 65521;
  }
  put32(z, (b << 16) | a);
  std::vector<uint8_t> png = kSignature;
  chunk(png, "IHDR", ihdr(2, 1, 16, 0));
  chunk(png, "IDAT", z);
  chunk(png, "IEND", {});
  return png;
}

std::vector<uint8_t> png_header_only(uint32_t width, uint32_t height) {
  std::vector<uint8_t> png = kSignature;
  chunk(png, "IHDR", ihdr(width, height, 8, 2));
  chunk(png, "IEND", {});
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
