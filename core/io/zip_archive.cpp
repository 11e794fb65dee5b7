// Why: formats per PKWARE's APPNOTE: local headers, central directory,
// end-of-central-directory record; zip64 is refused with a clear message. Every offset and
// length is checked against the file's size before it is read.
#include "io/zip_archive.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>

#include "io/checkpoint_file.h"
#include "io/safetensors.h"
#include "util/atomic_file.h"
#include "util/crc32.h"
#include "util/inflate.h"

namespace mae {

namespace {

uint32_t le32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}
uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

// A torch.save archive holds one record per storage plus a few; 2^16 is the format's limit
// without zip64 anyway.
constexpr uint16_t kMaxEntries = 65535;
// Deflated records are small (pickles, the odd compressed storage); storages are stored.
constexpr uint64_t kMaxInflatedEntry = uint64_t{1} << 30;
// torch.save's directory is about 100 bytes per storage; this allows a hundred thousand.
constexpr uint64_t kMaxDirectoryBytes = uint64_t{16} << 20;

void put16(std::vector<uint8_t>& v, uint32_t x) {
  v.push_back(static_cast<uint8_t>(x));
  v.push_back(static_cast<uint8_t>(x >> 8));
}
void put32(std::vector<uint8_t>& v, uint32_t x) {
  put16(v, x & 0xffff);
  put16(v, x >> 16);
}

}  // namespace

ZipReader::ZipReader(const std::string& path) : path_(path) {
  file_ = open_checkpoint_file(path, uint64_t{64} << 30);
  // The end-of-directory record is in the last 22 + 65535 (comment) bytes.
  const uint64_t n = file_->size();
  const uint64_t tail_start = n > 22 + 65535 ? n - (22 + 65535) : 0;
  std::vector<uint8_t> tail(static_cast<size_t>(n - tail_start));
  read_checkpoint_bytes(*file_, tail_start, tail.data(), tail.size());
  size_t eocd = std::string::npos;
  for (size_t i = tail.size() >= 22 ? tail.size() - 22 : 0; tail.size() >= 22; --i) {
    if (le32(&tail[i]) == 0x06054b50) {
      eocd = i;
      break;
    }
    if (i == 0) break;
  }
  if (eocd == std::string::npos)
    throw CheckpointError("'" + path +
                          "' is not a zip archive (a .pth from torch.save is one; "
                          "files from torch < 1.6 use the legacy format, re-save them)");
  const uint16_t count = le16(&tail[eocd + 10]);
  const uint32_t dir_offset = le32(&tail[eocd + 16]);
  if (count == 0xffff || dir_offset == 0xffffffffu)
    throw CheckpointError("'" + path + "' is a zip64 archive, which is not supported yet");
  if (count > kMaxEntries)
    throw CheckpointError("'" + path + "' has " + std::to_string(count) +
                          " zip entries, more than the limit of " + std::to_string(kMaxEntries));
  const uint64_t dir_end = tail_start + eocd;
  if (dir_offset > dir_end) throw CheckpointError("'" + path + "' has a corrupt zip directory");
  if (dir_end - dir_offset > kMaxDirectoryBytes)
    throw CheckpointError(
        "'" + path + "' has a zip directory of " + std::to_string((dir_end - dir_offset) >> 20) +
        " MiB, above the limit of " + std::to_string(kMaxDirectoryBytes >> 20) + " MiB");
  std::vector<uint8_t> dir(static_cast<size_t>(dir_end - dir_offset));
  read_checkpoint_bytes(*file_, dir_offset, dir.data(), dir.size());
  const size_t d = dir.size();
  size_t pos = 0;
  for (uint16_t i = 0; i < count; ++i) {
    if (pos + 46 > d || le32(&dir[pos]) != 0x02014b50)
      throw CheckpointError("'" + path + "' has a corrupt zip directory");
    Entry e;
    e.method = le16(&dir[pos + 10]);
    e.crc = le32(&dir[pos + 16]);
    e.compressed = le32(&dir[pos + 20]);
    e.size = le32(&dir[pos + 24]);
    const uint16_t name_len = le16(&dir[pos + 28]), extra = le16(&dir[pos + 30]),
                   comment = le16(&dir[pos + 32]);
    e.local_offset = le32(&dir[pos + 42]);
    if (pos + 46 + name_len > d)
      throw CheckpointError("'" + path + "' has a truncated zip directory");
    if (e.method == 8 && e.size > kMaxInflatedEntry)
      throw CheckpointError("'" + path + "': compressed entry of " + std::to_string(e.size >> 20) +
                            " MiB, above the limit of " + std::to_string(kMaxInflatedEntry >> 20) +
                            " MiB");
    e.name.assign(reinterpret_cast<const char*>(&dir[pos + 46]), name_len);
    pos += 46 + name_len + extra + comment;
    names_.push_back(e.name);
    entries_.push_back(std::move(e));
  }
}

ZipReader::~ZipReader() = default;

bool ZipReader::contains(const std::string& name) const {
  return std::find(names_.begin(), names_.end(), name) != names_.end();
}

const ZipReader::Entry& ZipReader::find(const std::string& name) const {
  for (const auto& e : entries_)
    if (e.name == name) return e;
  throw CheckpointError("'" + path_ + "' has no record '" + name + "'");
}

uint64_t ZipReader::size_of(const std::string& name) const { return find(name).size; }

uint64_t ZipReader::data_start(const Entry& e) const {
  const uint64_t n = file_->size();
  if (e.local_offset > n || n - e.local_offset < 30)
    throw CheckpointError("'" + path_ + "': corrupt entry '" + e.name + "'");
  uint8_t local[30];
  read_checkpoint_bytes(*file_, e.local_offset, local, sizeof local);
  if (le32(local) != 0x04034b50)
    throw CheckpointError("'" + path_ + "': corrupt entry '" + e.name + "'");
  const uint64_t start = e.local_offset + 30 + le16(&local[26]) + le16(&local[28]);
  if (start > n || e.compressed > n - start)
    throw CheckpointError("'" + path_ + "' is truncated (entry '" + e.name + "')");
  return start;
}

std::vector<uint8_t> ZipReader::read(const std::string& name) const {
  const auto& e = find(name);
  const uint64_t start = data_start(e);
  std::vector<uint8_t> out;
  if (e.method == 0) {
    out.resize(static_cast<size_t>(e.compressed));
    read_checkpoint_bytes(*file_, start, out.data(), out.size());
  } else if (e.method == 8) {
    std::vector<uint8_t> packed(static_cast<size_t>(e.compressed));
    read_checkpoint_bytes(*file_, start, packed.data(), packed.size());
    // One byte of room beyond the declared size lets zlib see the end of the stream.
    const std::string problem =
        inflate_capped(packed.data(), packed.size(), InflateFormat::Raw, e.size + 1, &out);
    if (!problem.empty())
      throw CheckpointError("'" + path_ + "': entry '" + name + "': " + problem);
  } else {
    throw CheckpointError("'" + path_ + "': unsupported zip compression " +
                          std::to_string(e.method));
  }
  if (out.size() != e.size || crc32(out.data(), out.size()) != e.crc)
    throw CheckpointError("'" + path_ + "': entry '" + name +
                          "' fails its CRC check (corrupt file)");
  return out;
}

void ZipReader::read_into(const std::string& name, void* dest, uint64_t bytes) const {
  const auto& e = find(name);
  if (e.size < bytes)
    throw CheckpointError("'" + path_ + "': entry '" + name + "' holds " + std::to_string(e.size) +
                          " bytes, fewer than " + std::to_string(bytes));
  if (e.method != 0 || e.compressed != bytes) {
    const auto all = read(name);
    if (bytes > 0) std::memcpy(dest, all.data(), static_cast<size_t>(bytes));
    return;
  }
  read_checkpoint_bytes(*file_, data_start(e), dest, static_cast<size_t>(bytes));
  if (e.size != bytes || crc32(dest, static_cast<size_t>(bytes)) != e.crc)
    throw CheckpointError("'" + path_ + "': entry '" + name +
                          "' fails its CRC check (corrupt file)");
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
