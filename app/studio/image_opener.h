// Why: decoding a photo to floats takes about 0.2 s for 12 MP and seconds for 100 MP; on the
// UI thread that froze the window at every Open image, file-browser pick and drop. One thread
// decodes the newest request, and a request made while another decodes supersedes it.
#pragma once

#include <ATen/core/Tensor.h>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

namespace mae::studio {

class ImageOpener {
 public:
  struct Opened {
    std::string path;
    at::Tensor image;   // (3, H, W) as decode_picture gives it, upright; undefined when it failed
    std::string error;  // why it failed, on one line
  };

  ImageOpener();
  ImageOpener(const ImageOpener&) = delete;
  ImageOpener& operator=(const ImageOpener&) = delete;

  // Decodes `path` on the opener's thread; an earlier request not yet taken is dropped.
  void open(const std::string& path);
  // The newest request's result, once, when it is done.
  std::optional<Opened> take();

 private:
  void run(const std::stop_token& stop);

  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::optional<std::string> pending_;
  std::optional<Opened> done_;
  // Last: it starts once the fields above exist, and is stopped and joined (after a decode
  // under way) before they go.
  std::jthread thread_;
};

}  // namespace mae::studio
