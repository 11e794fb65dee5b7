// Why: the cache is keyed by every file's size and time and by what the pixels depend on (channels,
// size cap), so an edited folder or a new model size decodes again and an unchanged one starts at
// once.
#include "data/image_folder.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "data/jpeg_decoder.h"
#include "data/tiff_decoder.h"
#include "util/file_names.h"
#include "util/intra_op_threads.h"

namespace mae {

namespace {

FileStamp stamp(const std::string& path) {
  struct stat st {};
  FileStamp s{path, 0, 0};
  if (::stat(path.c_str(), &st) == 0) {
    s.size = static_cast<uint64_t>(st.st_size);
    s.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  }
  return s;
}

// What the cached pixels depend on besides the files: a change of any of these is a
// different cache file.
std::string cache_tag(const std::string& source, int64_t channels, int64_t cap) {
  return "photo-v1|" + std::filesystem::absolute(source).lexically_normal().string() + "|c" +
         std::to_string(channels) + "|cap" + std::to_string(cap) +
         (jpeg::available() ? "|turbojpeg" : "|stb");
}

bool is_image_extension(const std::string& extension) {
  const auto& known = image_extensions();
  return std::find(known.begin(), known.end(), extension) != known.end();
}

// Picture formats a folder may well hold that we do not read: phones save HEIC and AVIF, the
// web GIF, and a build without libtiff reads no TIFF (torchvision's ImageFolder does). A
// folder of them trains on fewer pictures than it seems to, or on none, and says which.
bool is_unread_picture(const std::string& extension) {
  static const std::vector<std::string> unread = [] {
    std::vector<std::string> list = {".heic", ".heif", ".avif", ".gif"};
    if (!tiff::available()) list.insert(list.end(), {".tif", ".tiff"});
    return list;
  }();
  return std::find(unread.begin(), unread.end(), extension) != unread.end();
}

// "12 .heic, 1 .tif files not read: convert them to JPEG or PNG", or "" for none.
std::string unread_note(const std::map<std::string, int64_t>& counts) {
  int64_t total = 0;
  std::string list;
  for (const auto& [extension, count] : counts) {
    total += count;
    list += (list.empty() ? "" : ", ") + std::to_string(count) + " " + extension;
  }
  if (total == 0) return "";
  return list + (total == 1 ? " file not read: convert it" : " files not read: convert them") +
         " to JPEG or PNG";
}

}  // namespace

const std::vector<std::string>& image_extensions() {
  static const std::vector<std::string> known = [] {
    std::vector<std::string> list = {".jpg", ".jpeg", ".png", ".bmp", ".webp",
                                     ".ppm", ".pgm",  ".pbm", ".pnm"};
    if (tiff::available()) list.insert(list.end(), {".tif", ".tiff"});
    return list;
  }();
  return known;
}

bool has_image_extension(const std::string& path) {
  return is_image_extension(lower_case_extension(path));
}

ImageFolderDataset::ImageFolderDataset(const std::string& folder, int64_t channels,
                                       const DataOptions& options, const ProgressFn& progress)
    : channels_(channels), options_(options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) throw DataError("data folder '" + folder + "' not found");
  std::vector<std::string> paths;
  std::map<std::string, int64_t> unread;  // by extension
  auto last_report = std::chrono::steady_clock::now();
  for (fs::recursive_directory_iterator
           it(folder, fs::directory_options::skip_permission_denied, ec),
       end;
       !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) {
      auto path = it->path().string();
      const auto extension = lower_case_extension(path);
      if (is_image_extension(extension))
        paths.push_back(std::move(path));
      else if (is_unread_picture(extension))
        ++unread[extension];
    }
    if (progress &&
        std::chrono::steady_clock::now() - last_report > std::chrono::milliseconds(500)) {
      last_report = std::chrono::steady_clock::now();
      DataProgress p;
      p.stage = DataProgress::Stage::Indexing;
      p.done = static_cast<int64_t>(paths.size());
      progress(p);
    }
  }
  if (ec) throw DataError("cannot list '" + folder + "': " + ec.message());
  unread_note_ = unread_note(unread);
  if (paths.empty())
    throw DataError("no JPEG, PNG, BMP, WebP, PNM or TIFF files found under '" + folder + "'" +
                    (unread_note_.empty() ? "" : " (" + unread_note_ + ")"));
  std::sort(paths.begin(), paths.end());
  if (progress) {
    DataProgress p;
    p.stage = DataProgress::Stage::Indexing;
    p.done = static_cast<int64_t>(paths.size());
    progress(p);
  }
  // Classes are the first-level sub-folders (torchvision's ImageFolder); files directly in
  // the folder have none.
  std::set<std::string> classes;
  std::vector<std::string> class_of(paths.size());
  for (size_t i = 0; i < paths.size(); ++i) {
    const auto rel = fs::path(paths[i]).lexically_relative(folder);
    if (std::distance(rel.begin(), rel.end()) >= 2) class_of[i] = rel.begin()->string();
    if (!class_of[i].empty()) classes.insert(class_of[i]);
  }
  class_names_.assign(classes.begin(), classes.end());
  for (size_t i = 0; i < paths.size(); ++i) {
    files_.push_back(stamp(paths[i]));
    const auto it = std::find(class_names_.begin(), class_names_.end(), class_of[i]);
    labels_.push_back(class_of[i].empty() ? -1 : static_cast<int32_t>(it - class_names_.begin()));
  }
  description_ =
      folder + " (" + std::to_string(files_.size()) + " image files" +
      (class_names_.empty() ? "" : ", " + std::to_string(class_names_.size()) + " classes") +
      (unread_note_.empty() ? "" : "; " + unread_note_) + ")";
  if (options_.disk_cache) {
    if (options_.cache_dir.empty()) options_.cache_dir = default_decoded_cache_dir();
  } else {
    options_.cache_dir.clear();
  }
  CacheOptions co{options_.cache_dir, options_.memory_budget,
                  cache_tag(folder, channels_, options_.short_side_cap)};
  cache_ = std::make_unique<DecodedCache>(files_, co);
}

ImageFolderDataset::ImageFolderDataset(std::vector<std::string> files, int64_t channels,
                                       std::string description, const DataOptions& options)
    : channels_(channels), options_(options), description_(std::move(description)) {
  for (const auto& f : files) {
    files_.push_back(stamp(f));
    labels_.push_back(-1);
  }
  options_.cache_dir.clear();
  cache_ = std::make_unique<DecodedCache>(files_, CacheOptions{"", options_.memory_budget, ""});
}

ImageFolderDataset::~ImageFolderDataset() = default;

int64_t ImageFolderDataset::label(int64_t index) const {
  return labels_.at(static_cast<size_t>(index));
}

std::string ImageFolderDataset::item_name(int64_t index) const {
  return files_.at(static_cast<size_t>(index)).path;
}

int64_t ImageFolderDataset::unreadable_files() const {
  std::lock_guard lock(gate_mutex_);
  return static_cast<int64_t>(unreadable_.size());
}

std::vector<std::string> ImageFolderDataset::unreadable() const {
  std::map<int64_t, std::string> in_order;
  {
    std::lock_guard lock(gate_mutex_);
    in_order.insert(unreadable_.begin(), unreadable_.end());
  }
  std::vector<std::string> messages;
  for (auto& [index, message] : in_order) messages.push_back(std::move(message));
  return messages;
}

DecodedImage ImageFolderDataset::decode(int64_t index) const {
  const auto& path = files_.at(static_cast<size_t>(index)).path;
  const ImageLimits limits;
  const auto bytes = read_image_bytes(path, limits);
  try {
    const size_t need = decode_peak_bytes(bytes, options_.short_side_cap, limits);
    std::unique_lock lock(gate_mutex_);
    gate_changed_.wait(lock, [&] {
      return decoding_bytes_ == 0 || decoding_bytes_ + need <= options_.decode_memory_budget;
    });
    decoding_bytes_ += need;
    lock.unlock();
    struct Release {
      const ImageFolderDataset* self;
      size_t bytes;
      ~Release() {
        std::lock_guard l(self->gate_mutex_);
        self->decoding_bytes_ -= bytes;
        self->gate_changed_.notify_all();
      }
    } release{this, need};
    return decode_photo(bytes, channels_, options_.short_side_cap, limits);
  } catch (const ImageError& e) {
    throw ImageError("'" + path + "': " + e.what());
  }
}

DecodedImage ImageFolderDataset::load_pixels(int64_t index) const {
  {
    std::lock_guard lock(gate_mutex_);
    if (auto it = unreadable_.find(index); it != unreadable_.end()) throw ImageError(it->second);
  }
  if (auto cached = cache_->get(index)) return *cached;
  try {
    auto image = decode(index);
    cache_->put(index, image);
    return image;
  } catch (const ImageError& e) {
    std::lock_guard lock(gate_mutex_);
    unreadable_.emplace(index, e.what());
    throw;
  }
}

void ImageFolderDataset::prepare(const ProgressFn& progress, std::stop_token stop) const {
  std::vector<int64_t> todo;
  for (int64_t i = 0; i < size(); ++i)
    if (!cache_->contains(i)) todo.push_back(i);
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  std::atomic<size_t> next{0};
  std::atomic<int64_t> done{0}, failed{0};
  std::mutex report_mutex;
  auto last_report = start;
  auto report = [&](DataProgress::Stage stage, bool force) {
    if (!progress) return;
    std::lock_guard lock(report_mutex);
    const auto now = clock::now();
    if (!force && now - last_report < std::chrono::milliseconds(500)) return;
    last_report = now;
    DataProgress p;
    p.stage = stage;
    p.done = done.load();
    p.failed = failed.load();
    p.total = static_cast<int64_t>(todo.size());
    if (stage == DataProgress::Stage::Ready) p.done = p.total = size();
    const double seconds = std::chrono::duration<double>(now - start).count();
    p.per_second = seconds > 0 ? static_cast<double>(p.done) / seconds : 0.0;
    p.seconds_left = p.per_second > 0 ? static_cast<double>(p.total - p.done) / p.per_second : 0.0;
    const auto stats = cache_->stats();
    p.cached_bytes = std::max(stats.memory_bytes, stats.disk_bytes);
    p.note = cache_->note();
    if (stage == DataProgress::Stage::Ready && !unread_note_.empty())
      p.note += (p.note.empty() ? "" : "; ") + unread_note_;
    progress(p);
  };
  if (!todo.empty()) {
    report(DataProgress::Stage::FirstPass, true);
    auto work = [&] {
      set_intra_op_threads_here(1);
      for (size_t k = next++; k < todo.size() && !stop.stop_requested(); k = next++) {
        try {
          load_pixels(todo[k]);
        } catch (const ImageError&) {
          ++failed;
        }
        ++done;
        report(DataProgress::Stage::FirstPass, false);
      }
    };
    const int64_t threads = std::clamp<int64_t>(options_.decode_threads, 1, 64);
    std::vector<std::jthread> pool;
    for (int64_t t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    pool.clear();  // joins
    cache_->flush();
  }
  failed = unreadable_files();
  report(DataProgress::Stage::Ready, true);
}

}  // namespace mae
