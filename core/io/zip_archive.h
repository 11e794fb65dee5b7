// Why: PyTorch's .pth files (torch.save) are zip archives of stored (uncompressed) records.
// This reads such archives (stored or deflated entries, CRC checked) and writes stored
// ones, with no zlib dependency, so .pth import/export works on every machine.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mae {

class ZipReader {
 public:
  // Reads the central directory; throws CheckpointError on anything that is not a zip.
  explicit ZipReader(const std::string& path);
  const std::vector<std::string>& names() const { return names_; }
  bool contains(const std::string& name) const;
  // The entry's bytes (inflated if needed, CRC checked).
  std::vector<uint8_t> read(const std::string& name) const;

 private:
  struct Entry {
    std::string name;
    uint16_t method = 0;
    uint32_t crc = 0;
    uint64_t compressed = 0, size = 0, local_offset = 0;
  };
  const Entry& find(const std::string& name) const;

  std::string path_;
  std::vector<uint8_t> data_;
  std::vector<Entry> entries_;
  std::vector<std::string> names_;
};

struct ZipRecord {
  std::string name;
  std::vector<uint8_t> bytes;
};

// Writes the records as stored entries, data aligned to 64 bytes like torch.save, atomically.
void write_zip(const std::string& path, const std::vector<ZipRecord>& records);

uint32_t crc32(const uint8_t* data, size_t size);

}  // namespace mae
