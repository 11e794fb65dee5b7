// Why: see zip_archive.h. Formats per PKWARE's APPNOTE: local headers, central directory,
// end-of-central-directory record; zip64 is refused with a clear message.
#include "io/zip_archive.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include "data/image_io.h"
#include "data/stb_backend.h"
#include "io/atomic_file.h"
#include "io/safetensors.h"

namespace mae {

namespace {

uint32_t le32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}
uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

void put16(std::vector<uint8_t>& v, uint32_t x) {
  v.push_back(static_cast<uint8_t>(x));
  v.push_back(static_cast<uint8_t>(x >> 8));
}
void put32(std::vector<uint8_t>& v, uint32_t x) {
  put16(v, x & 0xffff);
  put16(v, x >> 16);
}

}  // namespace

uint32_t crc32(const uint8_t* data, size_t size) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xffffffffu;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

ZipReader::ZipReader(const std::string& path) : path_(path) {
  try {
    data_ = read_file_bytes(path, size_t{64} << 30);
  } catch (const ImageError& e) {
    throw CheckpointError(e.what());
  }
  const size_t n = data_.size();
  size_t eocd = std::string::npos;
  for (size_t i = n >= 22 ? n - 22 : 0; n >= 22; --i) {
    if (le32(&data_[i]) == 0x06054b50) {
      eocd = i;
      break;
    }
    if (i == 0 || n - i > 22 + 65535) break;
  }
  if (eocd == std::string::npos)
    throw CheckpointError("'" + path +
                          "' is not a zip archive (a .pth from torch.save is one; "
                          "files from torch < 1.6 use the legacy format, re-save them)");
  const uint16_t count = le16(&data_[eocd + 10]);
  const uint32_t dir_offset = le32(&data_[eocd + 16]);
  if (count == 0xffff || dir_offset == 0xffffffffu)
    throw CheckpointError("'" + path + "' is a zip64 archive, which is not supported yet");
  size_t pos = dir_offset;
  for (uint16_t i = 0; i < count; ++i) {
    if (pos + 46 > n || le32(&data_[pos]) != 0x02014b50)
      throw CheckpointError("'" + path + "' has a corrupt zip directory");
    Entry e;
    e.method = le16(&data_[pos + 10]);
    e.crc = le32(&data_[pos + 16]);
    e.compressed = le32(&data_[pos + 20]);
    e.size = le32(&data_[pos + 24]);
    const uint16_t name_len = le16(&data_[pos + 28]), extra = le16(&data_[pos + 30]),
                   comment = le16(&data_[pos + 32]);
    e.local_offset = le32(&data_[pos + 42]);
    if (pos + 46 + name_len > n)
      throw CheckpointError("'" + path + "' has a truncated zip directory");
    e.name.assign(reinterpret_cast<const char*>(&data_[pos + 46]), name_len);
    pos += 46 + name_len + extra + comment;
    names_.push_back(e.name);
    entries_.push_back(std::move(e));
  }
}

bool ZipReader::contains(const std::string& name) const {
  return std::find(names_.begin(), names_.end(), name) != names_.end();
}

const ZipReader::Entry& ZipReader::find(const std::string& name) const {
  for (const auto& e : entries_)
    if (e.name == name) return e;
  throw CheckpointError("'" + path_ + "' has no record '" + name + "'");
}

std::vector<uint8_t> ZipReader::read(const std::string& name) const {
  const auto& e = find(name);
  const size_t p = e.local_offset;
  if (p + 30 > data_.size() || le32(&data_[p]) != 0x04034b50)
    throw CheckpointError("'" + path_ + "': corrupt entry '" + name + "'");
  const size_t start = p + 30 + le16(&data_[p + 26]) + le16(&data_[p + 28]);
  if (start + e.compressed > data_.size())
    throw CheckpointError("'" + path_ + "' is truncated (entry '" + name + "')");
  std::vector<uint8_t> out;
  if (e.method == 0) {
    out.assign(data_.begin() + static_cast<std::ptrdiff_t>(start),
               data_.begin() + static_cast<std::ptrdiff_t>(start + e.compressed));
  } else if (e.method == 8) {
    if (!stb::inflate_raw(&data_[start], e.compressed, &out))
      throw CheckpointError("'" + path_ + "': cannot inflate '" + name + "'");
  } else {
    throw CheckpointError("'" + path_ + "': unsupported zip compression " +
                          std::to_string(e.method));
  }
  if (out.size() != e.size || crc32(out.data(), out.size()) != e.crc)
    throw CheckpointError("'" + path_ + "': entry '" + name +
                          "' fails its CRC check (corrupt file)");
  return out;
}

void write_zip(const std::string& path, const std::vector<ZipRecord>& records) {
  std::vector<uint8_t> central;
  write_file_atomically(path, [&](std::FILE* f) {
    uint64_t offset = 0;
    auto emit = [&](const std::vector<uint8_t>& bytes) {
      write_all(f, bytes.data(), bytes.size());
      offset += bytes.size();
    };
    for (const auto& r : records) {
      if (offset + r.bytes.size() > 0xfffffff0ull)
        throw CheckpointError("archive larger than 4 GiB (zip64) is not supported yet");
      const uint32_t crc = crc32(r.bytes.data(), r.bytes.size());
      const auto size = static_cast<uint32_t>(r.bytes.size());
      const uint64_t header_end = offset + 30 + r.name.size() + 4;
      const uint16_t pad = static_cast<uint16_t>((64 - header_end % 64) % 64);
      std::vector<uint8_t> local;
      put32(local, 0x04034b50);
      put16(local, 20);  // version needed
      put16(local, 0);   // flags
      put16(local, 0);   // stored
      put32(local, 0);   // time, date
      put32(local, crc);
      put32(local, size);
      put32(local, size);
      put16(local, static_cast<uint32_t>(r.name.size()));
      put16(local, 4u + pad);  // one extra field that pads the data to 64 bytes
      local.insert(local.end(), r.name.begin(), r.name.end());
      put16(local, 0x4650);  // a private extra-field id, as PyTorch's writer uses
      put16(local, pad);
      local.insert(local.end(), pad, 'Z');
      std::vector<uint8_t> entry;
      put32(entry, 0x02014b50);
      put16(entry, 20);
      put16(entry, 20);
      put16(entry, 0);
      put16(entry, 0);
      put32(entry, 0);
      put32(entry, crc);
      put32(entry, size);
      put32(entry, size);
      put16(entry, static_cast<uint32_t>(r.name.size()));
      put16(entry, 0);
      put16(entry, 0);
      put16(entry, 0);
      put16(entry, 0);
      put32(entry, 0);
      put32(entry, static_cast<uint32_t>(offset));
      entry.insert(entry.end(), r.name.begin(), r.name.end());
      central.insert(central.end(), entry.begin(), entry.end());
      emit(local);
      emit(r.bytes);
    }
    const auto dir_offset = static_cast<uint32_t>(offset);
    std::vector<uint8_t> end;
    put32(end, 0x06054b50);
    put16(end, 0);
    put16(end, 0);
    put16(end, static_cast<uint32_t>(records.size()));
    put16(end, static_cast<uint32_t>(records.size()));
    put32(end, static_cast<uint32_t>(central.size()));
    put32(end, dir_offset);
    put16(end, 0);
    emit(central);
    emit(end);
  });
}

}  // namespace mae
