// Why: the cache file is append-only pixel data; the index beside it
// (JSON lines, written atomically) says which file each record came from. A crash can leave
// records the index does not name: they are only wasted bytes, never misread.
#include "data/decoded_cache.h"

#include <ATen/ATen.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "util/atomic_file.h"

namespace mae {

namespace {

constexpr int kIndexVersion = 1;
constexpr int64_t kFlushEvery = 256;
constexpr int64_t kCompactAbove = int64_t{256} << 20;

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

std::string hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

std::string default_decoded_cache_dir() {
  if (const char* dir = std::getenv("MAE_CACHE_DIR"); dir && *dir) return dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return std::string(xdg) + "/mae-studio/decoded";
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::string(home) + "/.cache/mae-studio/decoded";
  return "";
}

DecodedCache::DecodedCache(std::vector<FileStamp> files, CacheOptions options)
    : files_(std::move(files)), options_(std::move(options)) {
  const size_t n = files_.size();
  memory_.resize(n);
  disk_.resize(n);
  if (!options_.dir.empty()) open_disk();
}

DecodedCache::~DecodedCache() {
  {
    std::lock_guard lock(mutex_);
    if (pixels_fd_ >= 0 && disk_writable_ && puts_since_flush_ > 0) {
      try {
        write_index_locked();
      } catch (const std::exception&) {
        // the entries since the last flush are decoded again next time
      }
    }
  }
  if (pixels_fd_ >= 0) ::close(pixels_fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

void DecodedCache::open_disk() {
  std::error_code ec;
  std::filesystem::create_directories(options_.dir, ec);
  const std::string stem = options_.dir + "/" + hex(fnv1a(options_.tag));
  lock_path_ = stem + ".lock";
  lock_fd_ = ::open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) {
    note_ = "cache folder '" + options_.dir + "' is not writable (" + std::strerror(errno) +
            "); decoded images stay in memory only";
    return;
  }
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    note_ =
        "another process is using the decoded-image cache for this folder; this one keeps "
        "decoded images in memory only";
    ::close(lock_fd_);
    lock_fd_ = -1;
    return;
  }
  pixels_path_ = stem + ".pixels";
  index_path_ = stem + ".index";
  pixels_fd_ = ::open(pixels_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (pixels_fd_ < 0) {
    note_ = "cannot open '" + pixels_path_ + "': " + std::strerror(errno);
    pixels_path_.clear();
    return;
  }
  read_index();
}

void DecodedCache::read_index() {
  const off_t file_size = ::lseek(pixels_fd_, 0, SEEK_END);
  std::unordered_map<std::string, size_t> by_path;
  for (size_t i = 0; i < files_.size(); ++i) by_path.emplace(files_[i].path, i);
  int64_t live_bytes = 0, records = 0;
  std::ifstream in(index_path_);
  std::string line;
  bool header_ok = false;
  if (in && std::getline(in, line)) {
    auto header = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    header_ok = header.is_object() && header.value("version", 0) == kIndexVersion &&
                header.value("tag", std::string()) == options_.tag;
  }
  while (header_ok && std::getline(in, line)) {
    auto r = nlohmann::json::parse(line, nullptr, false);
    if (!r.is_array() || r.size() != 9 || !r[0].is_string()) continue;
    bool numbers = true;
    for (size_t k = 1; k < 9; ++k) numbers = numbers && r[k].is_number_integer();
    if (!numbers) continue;
    ++records;
    const auto it = by_path.find(r[0].get<std::string>());
    DiskEntry e{r[3].get<int64_t>(), r[4].get<int64_t>(), r[5].get<int64_t>(),
                r[6].get<int64_t>(), r[7].get<int64_t>(), r[8].get<int64_t>()};
    const bool sane = e.offset >= 0 && e.h > 0 && e.w > 0 && (e.c == 1 || e.c == 3) &&
                      e.h <= 65536 && e.w <= 65536 && e.source_h > 0 && e.source_w > 0 &&
                      e.offset <= file_size - e.h * e.w * e.c;  // no overflow: h, w checked
    if (it == by_path.end() || !sane || files_[it->second].size != r[1].get<uint64_t>() ||
        files_[it->second].mtime_ns != r[2].get<int64_t>() || disk_[it->second].offset >= 0) {
      ++invalidated_;
      continue;
    }
    disk_[it->second] = e;
    live_bytes += e.h * e.w * e.c;
    ++on_disk_;
  }
  reused_ = on_disk_;
  file_end_ = file_size;
  // Mostly dead bytes (files changed or gone) and a lot of them: start the file afresh
  // rather than let it grow without bound.
  const int64_t dead = file_size - live_bytes;
  if (dead > file_size / 2 && dead > kCompactAbove) {
    if (::ftruncate(pixels_fd_, 0) == 0) {
      for (auto& e : disk_) e = DiskEntry{};
      on_disk_ = 0;
      reused_ = 0;
      invalidated_ = records;
      file_end_ = 0;
    }
  }
  if (invalidated_ > 0 || records != on_disk_) write_index_locked();
}

void DecodedCache::write_index_locked() {
  write_file_atomically(index_path_, [&](std::FILE* f) {
    std::string out = nlohmann::json{{"version", kIndexVersion}, {"tag", options_.tag}}.dump();
    out += '\n';
    for (size_t i = 0; i < files_.size(); ++i) {
      const auto& e = disk_[i];
      if (e.offset < 0) continue;
      out += nlohmann::json::array({files_[i].path, files_[i].size, files_[i].mtime_ns, e.offset,
                                    e.h, e.w, e.c, e.source_h, e.source_w})
                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      out += '\n';
    }
    write_all(f, out.data(), out.size());
  });
  puts_since_flush_ = 0;
}

void DecodedCache::disable_disk_locked(const std::string& why) {
  note_ = why + "; new decoded images stay in memory only";
  disk_writable_ = false;  // the file stays open: entries already in it are still read
}

bool DecodedCache::contains(int64_t index) const {
  std::lock_guard lock(mutex_);
  const auto i = static_cast<size_t>(index);
  return memory_[i].pixels.defined() || disk_[i].offset >= 0;
}

std::optional<DecodedImage> DecodedCache::read_entry(const DiskEntry& e) const {
  auto pixels = at::empty({e.h, e.w, e.c}, at::kByte);
  auto* out = static_cast<char*>(pixels.data_ptr());
  const auto bytes = static_cast<size_t>(pixels.numel());
  for (size_t done = 0; done < bytes;) {
    const ssize_t got =
        ::pread(pixels_fd_, out + done, bytes - done, static_cast<off_t>(e.offset) + done);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return std::nullopt;  // the file was cut short under us: decode again
    done += static_cast<size_t>(got);
  }
  return DecodedImage{pixels, e.source_h, e.source_w};
}

std::optional<DecodedImage> DecodedCache::get(int64_t index) {
  const auto i = static_cast<size_t>(index);
  DiskEntry entry;
  {
    std::lock_guard lock(mutex_);
    if (memory_[i].pixels.defined()) return memory_[i];
    entry = disk_[i];
    if (entry.offset < 0 || pixels_fd_ < 0) {
      ++misses_;
      return std::nullopt;
    }
  }
  auto read = read_entry(entry);
  if (!read) {
    ++misses_;
    return std::nullopt;
  }
  const size_t bytes = static_cast<size_t>(entry.h * entry.w * entry.c);
  std::lock_guard lock(mutex_);
  if (!memory_[i].pixels.defined() && memory_bytes_ + bytes <= options_.memory_budget) {
    // promote: later epochs read from memory
    memory_[i] = *read;
    memory_bytes_ += bytes;
    ++in_memory_;
    return memory_[i];
  }
  return read;
}

void DecodedCache::put(int64_t index, const DecodedImage& image) {
  const auto i = static_cast<size_t>(index);
  auto pixels = image.pixels.contiguous();
  const size_t bytes = static_cast<size_t>(pixels.numel());
  int64_t offset = -1;
  {
    std::lock_guard lock(mutex_);
    if (!memory_[i].pixels.defined() && memory_bytes_ + bytes <= options_.memory_budget) {
      memory_[i] = DecodedImage{pixels, image.source_h, image.source_w};
      memory_bytes_ += bytes;
      ++in_memory_;
    }
    if (pixels_fd_ < 0 || !disk_writable_ || disk_[i].offset >= 0) return;
    offset = file_end_;
    file_end_ += static_cast<int64_t>(bytes);
  }
  // Written outside the lock: the range is reserved, and no index names it yet.
  const auto* data = pixels.data_ptr<uint8_t>();
  size_t written = 0;
  int error = 0;
  while (written < bytes) {
    const ssize_t n = ::pwrite(pixels_fd_, data + written, bytes - written,
                               static_cast<off_t>(offset + static_cast<int64_t>(written)));
    if (n <= 0) {
      error = n < 0 ? errno : ENOSPC;
      if (error == EINTR) continue;
      break;
    }
    written += static_cast<size_t>(n);
  }
  std::lock_guard lock(mutex_);
  if (written < bytes) {
    disable_disk_locked("cannot write the decoded-image cache '" + pixels_path_ +
                        "': " + std::strerror(error));
    return;
  }
  disk_[i] = DiskEntry{offset,         pixels.size(0), pixels.size(1),
                       pixels.size(2), image.source_h, image.source_w};
  ++on_disk_;
  if (++puts_since_flush_ >= kFlushEvery) {
    try {
      write_index_locked();
    } catch (const std::exception& e) {
      disable_disk_locked(e.what());
    }
  }
}

void DecodedCache::flush() {
  std::lock_guard lock(mutex_);
  if (pixels_fd_ < 0 || !disk_writable_ || puts_since_flush_ == 0) return;
  try {
    write_index_locked();
  } catch (const std::exception& e) {
    disable_disk_locked(e.what());
  }
}

CacheStats DecodedCache::stats() const {
  std::lock_guard lock(mutex_);
  CacheStats s;
  s.in_memory = in_memory_;
  s.memory_bytes = memory_bytes_;
  s.on_disk = on_disk_;
  s.disk_bytes = static_cast<size_t>(file_end_);
  s.reused = reused_;
  s.invalidated = invalidated_;
  s.misses = misses_.load();
  return s;
}

std::string DecodedCache::note() const {
  std::lock_guard lock(mutex_);
  return note_;
}

}  // namespace mae
