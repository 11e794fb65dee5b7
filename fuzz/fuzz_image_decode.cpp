// Why: image files are the input users bring most, from anywhere. Decoding them, through
// libjpeg-turbo or stb, must end in pixels or an ImageError, whatever the bytes; and a picture
// opened in the explorer, turned upright by its EXIF tag, is fitted to a model as a view of
// its bytes.
#include <cstdint>
#include <vector>

#include "data/image_io.h"
#include "data/photo_decode.h"
#include "data/picture_fit.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes(data, data + size);
  mae::ImageLimits limits;
  limits.max_pixels = int64_t{4} << 20;
  try {
    mae::decode_photo(bytes, 3, 64, limits);
  } catch (const mae::ImageError&) {
  }
  try {
    mae::decode_image(bytes, 1, limits);
  } catch (const mae::ImageError&) {
  }
  try {
    mae::fit_picture(mae::decode_picture(bytes, 3, limits), 1, 28, 28);
  } catch (const mae::ImageError&) {
  }
  return 0;
}
