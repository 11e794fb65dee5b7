// Why: the only door to libtiff, so that no other file depends on whether it was found. The
// file is read from memory, libtiff's messages are caught per file (its default handler
// prints to stderr from any thread), and its allocations are capped by what the picture's
// size needs.
#include "data/tiff_decoder.h"

#include <cstring>

#ifdef MAE_HAVE_TIFF
#include <tiffio.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <memory>
#include <utility>
#endif

namespace mae::tiff {

bool looks_like_tiff(const uint8_t* data, size_t size) {
  return size >= 4 && (std::memcmp(data, "II*\0", 4) == 0 || std::memcmp(data, "MM\0*", 4) == 0 ||
                       std::memcmp(data, "II+\0", 4) == 0 || std::memcmp(data, "MM\0+", 4) == 0);
}

#ifdef MAE_HAVE_TIFF

namespace {

// The bytes libtiff reads, and its first message.
struct MemoryFile {
  const uint8_t* data;
  size_t size;
  size_t at = 0;
  std::string first_error;
};

tmsize_t read_proc(thandle_t handle, void* buffer, tmsize_t count) {
  auto* file = static_cast<MemoryFile*>(handle);
  if (count < 0 || file->at >= file->size) return 0;
  const size_t n = std::min(static_cast<size_t>(count), file->size - file->at);
  std::memcpy(buffer, file->data + file->at, n);
  file->at += n;
  return static_cast<tmsize_t>(n);
}

tmsize_t write_proc(thandle_t, void*, tmsize_t) { return -1; }

toff_t seek_proc(thandle_t handle, toff_t offset, int whence) {
  auto* file = static_cast<MemoryFile*>(handle);
  const size_t base = whence == SEEK_CUR ? file->at : whence == SEEK_END ? file->size : 0;
  if (offset > SIZE_MAX - base) return static_cast<toff_t>(-1);
  file->at = base + static_cast<size_t>(offset);  // past the end reads nothing
  return file->at;
}

int close_proc(thandle_t) { return 0; }
toff_t size_proc(thandle_t handle) { return static_cast<MemoryFile*>(handle)->size; }
int map_proc(thandle_t, void**, toff_t*) { return 0; }  // no mapping: every read is bounded
void unmap_proc(thandle_t, void*, toff_t) {}

// libtiff says a strip or tile that the file ends inside as "Read error at scanline 4294967295;
// got 15 bytes, expected 273" (the row is -1 when a whole strip is read), and a directory it
// cannot reach as "Can not read TIFF directory count": the file is cut short, which is what a
// person needs to hear. Other messages are kept as libtiff words them.
std::string in_plain_words(const std::string& message) {
  // libtiff's words for a file that ends early, or whose directory offset points past its end.
  static const std::pair<const char*, const char*> kWhole[] = {
      {"Cannot read TIFF header", "the file ends inside its header"},
      {"Can not read TIFF directory count",
       "the directory that describes its picture lies past the end of the file"},
      {"Can not read TIFF directory",
       "the file ends inside the directory that describes its picture"}};
  for (const auto& [libtiff, plain] : kWhole)
    if (message == libtiff) return plain;
  static const std::string kTagRead = "IO error during reading of \"";
  if (message.rfind(kTagRead, 0) == 0 && message.size() > kTagRead.size() && message.back() == '"')
    return "the values of its tag " + message.substr(kTagRead.size() - 1) +
           " lie past the end of the file";
  const auto got = message.find("; got ");
  unsigned long long have = 0, want = 0;
  if (message.rfind("Read error at ", 0) != 0 || got == std::string::npos ||
      std::sscanf(message.c_str() + got, "; got %llu bytes, expected %llu", &have, &want) != 2)
    return message;
  const bool tile = message.find(", col ") != std::string::npos;
  return "the file ends inside its pixel data: " + std::string(tile ? "a tile" : "a strip") +
         " has " + std::to_string(have) + " of its " + std::to_string(want) + " bytes";
}

int keep_first_error(TIFF*, void* user_data, const char*, const char* format, va_list args) {
  auto* file = static_cast<MemoryFile*>(user_data);
  if (file->first_error.empty()) {
    char text[256];
    std::vsnprintf(text, sizeof text, format, args);
    // libtiff names the file first, which is ours to name: "picture: ..." (open_tiff).
    const char* named = std::strncmp(text, "picture: ", 9) == 0 ? text + 9 : text;
    file->first_error = in_plain_words(named);
  }
  return 1;  // handled: libtiff's own handler stays quiet
}

int ignore_warning(TIFF*, void*, const char*, const char*, va_list) { return 1; }

using TiffHandle = std::unique_ptr<TIFF, void (*)(TIFF*)>;

TiffHandle open_tiff(MemoryFile* file, size_t max_allocation) {
  const std::unique_ptr<TIFFOpenOptions, void (*)(TIFFOpenOptions*)> options(TIFFOpenOptionsAlloc(),
                                                                             TIFFOpenOptionsFree);
  TIFFOpenOptionsSetMaxSingleMemAlloc(options.get(), static_cast<tmsize_t>(max_allocation));
  TIFFOpenOptionsSetErrorHandlerExtR(options.get(), keep_first_error, file);
  TIFFOpenOptionsSetWarningHandlerExtR(options.get(), ignore_warning, nullptr);
  return {TIFFClientOpenExt("picture", "r", file, read_proc, write_proc, seek_proc, close_proc,
                            size_proc, map_proc, unmap_proc, options.get()),
          TIFFClose};
}

std::string failure(const char* what, const MemoryFile& file, const char* fallback) {
  return std::string(what) + " (" + (file.first_error.empty() ? fallback : file.first_error) + ")";
}

// Header reads need little: the directory and its tag arrays.
constexpr size_t kHeaderAllocation = size_t{64} << 20;

// Orientations 5 to 8 store the picture on its side: upright, its width is the stored height.
bool turned_sideways(int orientation) { return orientation >= 5 && orientation <= 8; }

}  // namespace

bool available() { return true; }

std::optional<Header> read_header(const uint8_t* data, size_t size, std::string* reason) {
  MemoryFile file{data, size, 0, {}};
  auto tif = open_tiff(&file, kHeaderAllocation);
  uint32_t width = 0, height = 0;
  if (!tif || !TIFFGetField(tif.get(), TIFFTAG_IMAGEWIDTH, &width) ||
      !TIFFGetField(tif.get(), TIFFTAG_IMAGELENGTH, &height)) {
    *reason = failure("corrupt TIFF header", file, "no picture size");
    return std::nullopt;
  }
  if (width > INT32_MAX || height > INT32_MAX) {
    *reason = "corrupt TIFF header (its size is " + std::to_string(width) + "x" +
              std::to_string(height) + ")";
    return std::nullopt;
  }
  uint16_t orientation = ORIENTATION_TOPLEFT;
  TIFFGetFieldDefaulted(tif.get(), TIFFTAG_ORIENTATION, &orientation);
  if (turned_sideways(orientation)) std::swap(width, height);
  return Header{static_cast<int>(width), static_cast<int>(height)};
}

std::optional<Decoded> decode(const uint8_t* data, size_t size, size_t max_allocation,
                              std::string* reason) {
  MemoryFile file{data, size, 0, {}};
  auto tif = open_tiff(&file, max_allocation);
  char message[1024] = "";
  TIFFRGBAImage image;
  if (!tif || !TIFFRGBAImageOK(tif.get(), message) ||
      !TIFFRGBAImageBegin(&image, tif.get(), /*stop_on_error=*/1, message)) {
    *reason = failure("unsupported or corrupt TIFF", file, *message ? message : "unreadable");
    return std::nullopt;
  }
  const std::unique_ptr<TIFFRGBAImage, void (*)(TIFFRGBAImage*)> end(&image, TIFFRGBAImageEnd);
  image.req_orientation = image.orientation;  // rows as stored: the loader turns them
  // libtiff rounds a 16-bit sample to 8 bits; PIL keeps its high byte (its "RGB;16B" unpacker,
  // a scanner's 48-bit TIFF): its table is rewritten to that.
  if (image.Bitdepth16To8)
    for (uint32_t v = 0; v < 65536; ++v) image.Bitdepth16To8[v] = static_cast<uint8_t>(v >> 8);
  const size_t pixels = static_cast<size_t>(image.width) * image.height;
  if (pixels == 0 || pixels > max_allocation / 4) {
    *reason = "corrupt TIFF (its size is " + std::to_string(image.width) + "x" +
              std::to_string(image.height) + ")";
    return std::nullopt;
  }
  std::vector<uint32_t> raster(pixels);  // ABGR words, colours premultiplied by alpha
  if (!TIFFRGBAImageGet(&image, raster.data(), image.width, image.height)) {
    *reason = failure("corrupt or truncated TIFF", file, "its pixels cannot be read");
    return std::nullopt;
  }
  Decoded out;
  out.width = static_cast<int>(image.width);
  out.height = static_cast<int>(image.height);
  out.orientation = image.orientation;
  const bool gray =
      image.photometric == PHOTOMETRIC_MINISBLACK || image.photometric == PHOTOMETRIC_MINISWHITE;
  out.channels = gray ? 1 : 3;
  out.pixels.resize(pixels * static_cast<size_t>(out.channels));
  uint8_t* o = out.pixels.data();
  for (const uint32_t word : raster) {
    // Over white: a premultiplied colour c with alpha a shows as c + (255 - a).
    const uint32_t white = 255 - TIFFGetA(word);
    *o++ = static_cast<uint8_t>(std::min<uint32_t>(255, TIFFGetR(word) + white));
    if (!gray) {
      *o++ = static_cast<uint8_t>(std::min<uint32_t>(255, TIFFGetG(word) + white));
      *o++ = static_cast<uint8_t>(std::min<uint32_t>(255, TIFFGetB(word) + white));
    }
  }
  return out;
}

#else

bool available() { return false; }

std::optional<Header> read_header(const uint8_t*, size_t, std::string* reason) {
  *reason = "TIFF needs libtiff, which this build lacks";
  return std::nullopt;
}

std::optional<Decoded> decode(const uint8_t*, size_t, size_t, std::string* reason) {
  *reason = "TIFF needs libtiff, which this build lacks";
  return std::nullopt;
}

#endif

}  // namespace mae::tiff
