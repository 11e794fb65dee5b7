// Why: a phone stores a portrait photo as the sensor saw it, sideways, with an EXIF tag saying
// how to turn it. A picture a person opens (the explorer, `mae reconstruct`) is shown as their
// photo viewer shows it (PIL's ImageOps.exif_transpose), not lying on its side. Datasets read
// a JPEG as stored, as the authors' loader (torchvision's ImageFolder through PIL) does; a
// TIFF's Orientation tag, which PIL 12 applies when it loads one, is applied with upright too.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstddef>
#include <cstdint>

namespace mae {

// The EXIF Orientation (1 to 8) of JPEG bytes: 1 (as stored) when there is no EXIF block,
// no such tag, or anything malformed. Reads only the markers before the image data.
int jpeg_exif_orientation(const uint8_t* data, size_t size);

// A (C, H, W) picture turned as `orientation` says, to be seen upright: 2 mirrored, 3 turned
// half round, 4 flipped, 5 transposed, 6 turned a quarter clockwise, 7 transversed, 8 turned a
// quarter anticlockwise; 1 and anything else as it is.
at::Tensor upright(const at::Tensor& chw, int orientation);

}  // namespace mae
