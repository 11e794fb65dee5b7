// Why: small helpers the test files share: a temporary folder that cleans up after itself,
// raw file writing, a run's logged steps, and hand-made PNGs that stb's writer cannot produce
// (16-bit, header only, chosen row filters, damaged).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

struct TempDir {
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string path(const std::string& name) const { return root + "/" + name; }
  std::string root;
};

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes);
std::vector<uint8_t> read_bytes(const std::string& path);

// The steps of a metrics.jsonl's lines, in file order; -1 for a line that is not a record (a
// half-written one), so that comparing with the steps expected catches it.
std::vector<int64_t> logged_steps(const std::string& path);

// One PNG chunk appended: big-endian length (`declared` overrides it), type, data, CRC.
void append_png_chunk(std::vector<uint8_t>* png, const char* type, const std::vector<uint8_t>& data,
                      uint32_t declared = UINT32_MAX);
// A PNG signature and IHDR; `color_type` 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA.
std::vector<uint8_t> png_start(uint32_t w, uint32_t h, uint8_t color_type, uint8_t depth = 8,
                               uint8_t interlace = 0);
// A valid 16-bit grayscale PNG of 2x1 pixels.
std::vector<uint8_t> png16_gray_2x1(uint16_t left, uint16_t right);
// A PNG signature and IHDR claiming width x height, with no pixel data.
std::vector<uint8_t> png_header_only(uint32_t width, uint32_t height);
