// Why: decoding a folder of photos is the slow part of training on them. Each file is
// decoded once, to compact 8-bit pixels at the size the crops need, and kept in memory up
// to a budget; everything decoded is also appended to a cache file under the user's cache
// folder, read back with pread (a cache file truncated by hand under a mapping would kill
// the process with SIGBUS; a short read is only a miss), so the rest of the first run and every
// later run on the same folder skip decoding. Entries are keyed by path, size and modification
// time: a changed or removed file's entry is dropped, a new file is decoded on first use.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "data/photo_decode.h"

namespace mae {

struct FileStamp {
  std::string path;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
};

struct CacheOptions {
  std::string dir;                           // cache file folder; empty: memory only
  size_t memory_budget = size_t{512} << 20;  // pixels kept in memory; the rest is read back
  std::string tag;                           // what the pixels depend on (size cap, channels)
};

struct CacheStats {
  int64_t in_memory = 0;  // entries held in memory
  size_t memory_bytes = 0;
  int64_t on_disk = 0;      // entries in the cache file
  size_t disk_bytes = 0;    // size of the cache file
  int64_t reused = 0;       // valid entries found from an earlier run
  int64_t invalidated = 0;  // entries dropped: their file changed or is gone
  int64_t misses = 0;       // lookups that found nothing
};

class DecodedCache {
 public:
  DecodedCache(std::vector<FileStamp> files, CacheOptions options);
  ~DecodedCache();  // writes the index
  DecodedCache(const DecodedCache&) = delete;
  DecodedCache& operator=(const DecodedCache&) = delete;

  // The pixels of file `index` if cached (a miss is counted otherwise).
  std::optional<DecodedImage> get(int64_t index);
  bool contains(int64_t index) const;
  // Keeps the pixels in memory if the budget allows and appends them to the cache file.
  void put(int64_t index, const DecodedImage& image);
  // Writes the index so another process (or the next run) finds every entry so far.
  void flush();

  CacheStats stats() const;
  // Why the disk part is off, when it is (the folder is not writable, another process holds
  // the cache, the disk is full); empty otherwise.
  std::string note() const;

 private:
  struct DiskEntry {
    int64_t offset = -1;  // -1: not in the file
    int64_t h = 0, w = 0, c = 0, source_h = 0, source_w = 0;
  };
  void open_disk();
  void read_index();
  void write_index_locked();
  void disable_disk_locked(const std::string& why);
  std::optional<DecodedImage> read_entry(const DiskEntry& e) const;

  std::vector<FileStamp> files_;
  CacheOptions options_;
  std::string pixels_path_, index_path_, lock_path_;
  int pixels_fd_ = -1;
  int lock_fd_ = -1;
  bool disk_writable_ = true;

  mutable std::mutex mutex_;
  std::vector<DecodedImage> memory_;  // pixels undefined when not held in memory
  std::vector<DiskEntry> disk_;
  size_t memory_bytes_ = 0;
  int64_t in_memory_ = 0, on_disk_ = 0;
  int64_t file_end_ = 0;
  int64_t reused_ = 0, invalidated_ = 0;
  int64_t puts_since_flush_ = 0;
  std::string note_;
  std::atomic<int64_t> misses_{0};
};

// $MAE_CACHE_DIR, else $XDG_CACHE_HOME/mae-studio/decoded, else ~/.cache/mae-studio/decoded.
std::string default_decoded_cache_dir();

}  // namespace mae
