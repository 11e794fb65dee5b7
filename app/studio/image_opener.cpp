// Why: a superseded decode cannot be cut short inside the decoder, so its result is simply
// not kept: the window only ever adopts the picture asked for last.
#include "image_opener.h"

#include "data/image_io.h"
#include "util/one_line_error.h"

namespace mae::studio {

ImageOpener::ImageOpener() : thread_([this](const std::stop_token& stop) { run(stop); }) {}

void ImageOpener::open(const std::string& path) {
  {
    std::lock_guard lock(mutex_);
    pending_ = path;
    done_.reset();
  }
  wake_.notify_one();
}

std::optional<ImageOpener::Opened> ImageOpener::take() {
  std::lock_guard lock(mutex_);
  auto done = std::move(done_);
  done_.reset();
  return done;
}

void ImageOpener::run(const std::stop_token& stop) {
  std::unique_lock lock(mutex_);
  while (wake_.wait(lock, stop, [this] { return pending_.has_value(); })) {
    Opened opened{*pending_, {}, {}};
    pending_.reset();
    lock.unlock();
    try {
      opened.image = load_picture(opened.path, 3);  // fitted to each model it is shown to
    } catch (const std::exception& e) {
      opened.error = one_line_error(e);
    }
    lock.lock();
    if (!pending_) done_ = std::move(opened);  // else a newer request supersedes it
  }
}

}  // namespace mae::studio
