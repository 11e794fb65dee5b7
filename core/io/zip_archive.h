// Why: PyTorch's .pth files (torch.save) are zip archives of stored (uncompressed) records.
// This reads such archives from a read-only mapping (stored or deflated entries, CRC checked,
// inflation capped at the declared size) and writes stored ones.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mae {

class MappedFile;

class ZipReader {
 public:
  // Reads the central directory; throws CheckpointError on anything that is not a zip.
  explicit ZipReader(const std::string& path);
  ~ZipReader();
  const std::vector<std::string>& names() const { return names_; }
  bool contains(const std::string& name) const;
  // The entry's size once read (inflated), as the directory declares it.
  uint64_t size_of(const std::string& name) const;
  // The entry's bytes (inflated if needed, CRC checked).
  std::vector<uint8_t> read(const std::string& name) const;

  // The entry's bytes without a copy when it is stored (straight from the mapping), else
  // inflated into `owned`. CRC checked. Valid while the reader lives.
  struct View {
    const uint8_t* data = nullptr;
    size_t size = 0;
    std::vector<uint8_t> owned;
  };
  View view(const std::string& name) const;

 private:
  struct Entry {
    std::string name;
    uint16_t method = 0;
    uint32_t crc = 0;
    uint64_t compressed = 0, size = 0, local_offset = 0;
  };
  const Entry& find(const std::string& name) const;

  std::string path_;
  std::unique_ptr<MappedFile> file_;
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
