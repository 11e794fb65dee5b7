// Why: PyTorch's .pth files (torch.save) are zip archives of stored (uncompressed) records.
// This reads such archives with positioned reads (stored or deflated entries, CRC checked,
// inflation capped at the declared size; a stored storage goes straight into its tensor) and
// writes stored ones.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mae {

class ReadOnlyFile;

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
  // The first `bytes` bytes of the entry into `dest` (the entry holds at least that many; CRC
  // checked over all of it). A stored entry of exactly that size is read with no copy between.
  void read_into(const std::string& name, void* dest, uint64_t bytes) const;

 private:
  struct Entry {
    std::string name;
    uint16_t method = 0;
    uint32_t crc = 0;
    uint64_t compressed = 0, size = 0, local_offset = 0;
  };
  const Entry& find(const std::string& name) const;
  // Where the entry's data starts, from its local header.
  uint64_t data_start(const Entry& e) const;

  std::string path_;
  std::unique_ptr<ReadOnlyFile> file_;
  std::vector<Entry> entries_;
  std::vector<std::string> names_;
};

struct ZipRecord {
  std::string name;
  std::vector<uint8_t> bytes;
};

// Writes the records as stored entries, data aligned to 64 bytes like torch.save, atomically.
void write_zip(const std::string& path, const std::vector<ZipRecord>& records);

}  // namespace mae
