// Why: a phone stores a portrait photo as the sensor saw it, sideways, with an EXIF tag saying
// how to turn it. A picture a person opens (the explorer, `mae reconstruct`) is shown as their
// photo viewer shows it (PIL's ImageOps.exif_transpose), not lying on its side. Datasets read
// a JPEG as stored, as the authors' loader (torchvision's ImageFolder through PIL) does; a
// TIFF's Orientation tag, which PIL 12 applies when it loads one, is applied the same way.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstddef>
#include <cstdint>

namespace mae {

// The EXIF Orientation (1 to 8) of JPEG bytes: 1 (as stored) when there is no EXIF block,
// no such tag, or anything malformed. Reads only the markers before the image data.
int jpeg_exif_orientation(const uint8_t* data, size_t size);

// A decoded (H, W, C) picture, contiguous, turned as `orientation` says, to be seen upright: 2
// mirrored, 3 turned half round, 4 flipped, 5 transposed, 6 turned a quarter clockwise, 7
// transversed, 8 turned a quarter anticlockwise; 1 and anything else as it is. The pixels are
// flipped in place and the result is a (C, H, W) view of them, transposed for a quarter turn: a
// portrait photo from a phone is never held twice while it is turned.
at::Tensor upright_in_place(at::Tensor hwc, int orientation);

}  // namespace mae
