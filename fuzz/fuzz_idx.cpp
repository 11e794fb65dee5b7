// Why: IDX files (Fashion-MNIST's format) arrive plain or gzip'd; the header's counts and
// the inflated size are the two ways a small file could ask for a lot of memory.
#include <cstdint>

#include "data/dataset.h"
#include "fuzz_input_file.h"
#include "util/inflate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const bool gzipped = size > 0 && (data[0] & 1);
  const auto path =
      mae::fuzz::write_input(data + (size > 0), size - (size > 0),
                             gzipped ? "x-images-idx3-ubyte.gz" : "x-images-idx3-ubyte");
  try {
    auto dataset = mae::open_dataset(path, 1);
    if (dataset->size() > 0) dataset->load_pixels(0);
  } catch (const mae::DataError&) {
  }
  std::vector<uint8_t> out;
  mae::inflate_capped(data, size, mae::InflateFormat::Gzip, size_t{16} << 20, &out);
  return 0;
}
