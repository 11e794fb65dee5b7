// Why: one thread, and one slot per kind of request: a new request replaces the waiting one, so the
// worker always works on the newest, and results wait in slots the UI takes without blocking.
#include "inference_worker.h"

#include <torch/utils.h>

#include <cmath>
#include <filesystem>

#include "data/dataset.h"
#include "data/picture_fit.h"
#include "io/checkpoint.h"
#include "io/model_files.h"
#include "model/state_shapes.h"
#include "train/device.h"
#include "util/intra_op_threads.h"
#include "util/one_line_error.h"

namespace mae::studio {

ExploreViews views_of(const Reconstruction& r) {
  ExploreViews v;
  v.masked = make_view(r.masked, r.mask);
  v.reconstruction = make_view(r.reconstruction, r.mask, r.patch_error);
  v.pasted = make_view(r.pasted, r.mask, r.patch_error);
  v.original = make_view(r.original, r.mask);
  v.mask = r.mask;
  v.masked_mse = r.masked_mse;
  v.removed_pixel_mse = r.removed_pixel_mse;
  return v;
}

InferenceWorker::InferenceWorker()
    : all_threads_(default_intra_op_threads()),
      device_(resolve_device("auto")),
      thread_([this](const std::stop_token& stop) { loop(stop); }) {}

InferenceWorker::~InferenceWorker() {
  thread_.request_stop();
  changed_.notify_all();
}

void InferenceWorker::load_checkpoint(const std::string& path) {
  {
    std::lock_guard lock(mutex_);
    pending_checkpoint_ = path;
  }
  changed_.notify_all();
}

void InferenceWorker::set_weights(const MaeConfig& config, NamedTensors weights,
                                  const std::string& source, int64_t step, double loss,
                                  std::shared_ptr<const StreamFence> ready) {
  {
    std::lock_guard lock(mutex_);
    pending_weights_ =
        PendingWeights{config,       std::move(weights), source,          step, loss, false,
                       std::nullopt, std::nullopt,       std::move(ready)};
  }
  changed_.notify_all();
}

void InferenceWorker::settle_loss(int64_t step, double loss) {
  std::lock_guard lock(mutex_);
  if (pending_weights_ && pending_weights_->step == step && std::isnan(pending_weights_->loss))
    pending_weights_->loss = loss;
  if (info_.loaded && info_.step == step && std::isnan(info_.loss)) info_.loss = loss;
}

void InferenceWorker::submit(ExploreRequest request) {
  {
    std::lock_guard lock(mutex_);
    pending_request_ = std::move(request);
    submitted_at_ = std::chrono::steady_clock::now();
  }
  changed_.notify_all();
}

void InferenceWorker::set_gallery(std::vector<at::Tensor> images, double ratio,
                                  uint64_t mask_seed) {
  std::lock_guard lock(mutex_);
  gallery_ = std::move(images);
  gallery_ratio_ = ratio;
  gallery_seed_ = mask_seed;
}

std::optional<TrainingSnapshot> InferenceWorker::take_checkpoint_snapshot() {
  std::lock_guard lock(mutex_);
  auto out = std::move(checkpoint_snapshot_);
  checkpoint_snapshot_.reset();
  return out;
}

std::optional<ExploreResult> InferenceWorker::take_result() {
  std::lock_guard lock(mutex_);
  auto out = std::move(result_);
  result_.reset();
  return out;
}

std::optional<std::string> InferenceWorker::take_message() {
  std::lock_guard lock(mutex_);
  if (messages_.empty()) return std::nullopt;
  auto m = messages_.front();
  messages_.erase(messages_.begin());
  return m;
}

ModelInfo InferenceWorker::model_info() const {
  std::lock_guard lock(mutex_);
  return info_;
}

std::optional<LoadStatus> InferenceWorker::loading() const {
  std::lock_guard lock(mutex_);
  auto status = loading_;
  if (status) {
    status->bytes_read = read_progress_.bytes.load();
    status->tensors = read_progress_.tensors.load();
  }
  return status;
}

namespace {
// Up to `count` images of a model's training data (the test split of Fashion-MNIST);
// empty when the data is not on this machine.
std::vector<at::Tensor> own_gallery(const std::string& data, const MaeConfig& config,
                                    size_t count) {
  std::vector<at::Tensor> images;
  try {
    const auto spec = data.rfind("fashion-mnist", 0) == 0 ? "fashion-mnist:test" : data;
    DataOptions options;
    options.short_side_cap = 2 * std::max(config.img_h, config.img_w);
    auto dataset = open_dataset(spec, config.in_chans, options);
    for (int64_t i = 0; i < dataset->size() && images.size() < std::max<size_t>(count, 6); ++i) {
      try {
        images.push_back(
            fit_picture(dataset->load_decoded(i), config.in_chans, config.img_h, config.img_w));
      } catch (const std::exception&) {
        // an unreadable file is left out, as training leaves it out
      }
    }
  } catch (const std::exception&) {
    images.clear();
  }
  return images;
}

int64_t bytes_on_disk(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return static_cast<int64_t>(fs::file_size(path, ec));
  int64_t total = 0;
  if (fs::is_directory(path, ec))
    for (const auto& entry : fs::directory_iterator(path, ec))
      if (entry.is_regular_file(ec)) total += static_cast<int64_t>(entry.file_size(ec));
  return total;
}
}  // namespace

bool InferenceWorker::busy() const {
  std::lock_guard lock(mutex_);
  return working_ || pending_request_.has_value() || pending_checkpoint_.has_value() ||
         pending_weights_.has_value();
}

bool InferenceWorker::computed_within(std::chrono::milliseconds window) const {
  if (busy()) return true;
  std::lock_guard lock(mutex_);
  return std::chrono::steady_clock::now() - last_job_end_ < window;
}

void InferenceWorker::apply_weights(PendingWeights pending) {
  // Checked before anything is replaced: a file whose tensors do not fit its own config (one
  // missing, say) leaves the model shown before in place, where a new model of the file's
  // shape had taken its place under the old one's name.
  if (const auto misfit = state_misfit(pending.config, pending.weights); !misfit.empty())
    throw CheckpointError("checkpoint does not fit its model: " + misfit);
  if (model_.is_empty() || model_->config().to_json() != pending.config.to_json()) {
    model_ = MaeModel(pending.config, InitialWeights::Overwritten);
    // Onto the device before the weights arrive, so that weights the trainer made there are
    // copied on the device rather than down to the host and back up.
    model_->to(at::Device(device_));
  }
  if (pending.ready) pending.ready->order_current_stream_after();
  // Held to the end of this function: on a GPU the trainer made these copies on its stream, and
  // the caching allocator would hand their memory back to that stream as soon as they were
  // let go, while this stream's copies from them may still be queued.
  const SafetensorsContent weights{std::move(pending.weights), {}};
  load_weights(model_, weights);
  model_->eval();
  if (pending.ready) finish_current_stream(device_);  // this stream has read them now
  std::lock_guard lock(mutex_);
  info_.loaded = true;
  info_.device = device_;
  info_.config = pending.config;
  info_.source = pending.source;
  info_.step = pending.step;
  info_.loss = pending.loss;
  info_.norm_pix_guessed = pending.norm_pix_guessed;
  info_.trained_mask_ratio = pending.trained_mask_ratio;
  info_.train = pending.train;
  info_.format = pending.format;
  info_.file = pending.file;
  ++info_.version;
}

at::Tensor InferenceWorker::fitted_to_model(const at::Tensor& image) {
  const auto& c = model_->config();
  const bool fits = fitted_.defined() && fitted_.size(0) == c.in_chans &&
                    fitted_.size(1) == c.img_h && fitted_.size(2) == c.img_w;
  if (!fits || !fitted_source_.is_same(image)) {
    fitted_ = fit_picture(image, c.in_chans, c.img_h, c.img_w);
    fitted_source_ = image;
  }
  return fitted_;
}

ExploreResult InferenceWorker::compute(const ExploreRequest& request) {
  ExploreResult r;
  r.id = request.id;
  r.main = views_of(reconstruct(model_, request.image, request.mask));
  r.extras_done = !request.wants_extras();
  return r;
}

int InferenceWorker::intra_op_threads() const {
  if (cpu_shared_with_training_ || model_.is_empty()) return 1;
  // Multiply-adds of one image with every patch visible, roughly: tens of millions for the
  // small presets, over ten billion for ViT-B/16.
  const auto& c = model_->config();
  const double size = c.parameter_count() * static_cast<double>(c.num_patches() + 1);
  return size < 1e9 ? 1 : all_threads_;
}

bool InferenceWorker::newer_request_waiting() const {
  std::lock_guard lock(mutex_);
  return pending_request_.has_value();
}

const ExploreViews& InferenceWorker::sweep_view(const ExploreRequest& request, size_t i) {
  const bool same =
      sweep_key_ && sweep_key_->fitted.is_same(request.image) &&
      sweep_key_->seed == request.mask.seed && sweep_key_->strategy == request.mask.strategy &&
      sweep_key_->weights_version == info_.version && sweep_key_->ratios == request.sweep_ratios;
  if (!same) {
    sweep_key_ = SweepKey{request.image, request.mask.seed, request.mask.strategy, info_.version,
                          request.sweep_ratios};
    sweep_.clear();
  }
  while (sweep_.size() <= i) {
    MaskRequest m = request.mask;
    m.mask.reset();
    m.ratio = request.sweep_ratios[sweep_.size()];
    sweep_.push_back(views_of(reconstruct(model_, request.image, m)));
  }
  return sweep_[i];
}

void InferenceWorker::add_extras(const ExploreRequest& request, ExploreResult* result) {
  for (size_t i = 0; i < request.sweep_ratios.size(); ++i) {
    if (newer_request_waiting()) return;
    result->sweep.emplace_back(request.sweep_ratios[i], sweep_view(request, i));
  }
  if (newer_request_waiting()) return;
  if (request.attention)
    result->attention = std::make_shared<const EncoderAttention>(
        encoder_attention(model_, request.image, request.mask));
  if (newer_request_waiting()) return;
  if (request.stages) {
    result->stages = trace_pipeline(model_, request.image, request.mask);
    for (const auto& stage : result->stages)
      result->stage_views.push_back(make_view(stage.picture));
  }
  result->extras_done = true;
}

void InferenceWorker::loop(const std::stop_token& stop) {
  torch::NoGradGuard no_grad;
  DeviceStreamScope stream(device_, /*urgent=*/true);
  set_thread_read_progress(&read_progress_);
  while (true) {
    std::optional<std::string> checkpoint;
    std::optional<PendingWeights> weights;
    std::optional<ExploreRequest> request;
    std::chrono::steady_clock::time_point submitted;
    {
      std::unique_lock lock(mutex_);
      if (!changed_.wait(lock, stop, [&] {
            return pending_checkpoint_ || pending_weights_ || (pending_request_ && info_.loaded);
          }))
        return;
      checkpoint.swap(pending_checkpoint_);
      if (checkpoint) {
        loading_ = LoadStatus{*checkpoint, bytes_on_disk(*checkpoint), 0, 0,
                              std::chrono::steady_clock::now()};
        read_progress_.bytes = 0;
        read_progress_.tensors = 0;
      }
      if (!checkpoint) weights.swap(pending_weights_);
      if (!checkpoint && !weights) {
        request.swap(pending_request_);
        submitted = submitted_at_;
      }
      working_ = true;
    }
    set_intra_op_threads_here(intra_op_threads());
    try {
      if (checkpoint) {
        // The file's identity the same before and after the read: a save that replaced it
        // between the two (the test suite's saves did, under load) made the file read the new
        // one while the identity kept was the old one's, and the app said "saved again since it
        // was opened" of the very save it showed. Read again then; a later save still shows,
        // and a file gone since (or a folder, which has no identity) keeps what was read.
        auto file = file_identity(*checkpoint);
        auto loaded = read_model_file(*checkpoint);
        for (int read_again = 0; read_again < 3; ++read_again) {
          const auto after = file_identity(*checkpoint);
          if (!after || after == file) break;
          file = after;
          loaded = {};  // not two models' weights at once
          loaded = read_model_file(*checkpoint);
        }
        const int64_t step = loaded.step;
        const double loss = loaded.loss;
        apply_weights({loaded.config, std::move(loaded.tensors), *checkpoint, step, loss,
                       loaded.norm_pix_guessed, loaded.trained_mask_ratio, loaded.train, nullptr,
                       loaded.format, file});
        std::vector<at::Tensor> gallery;
        double ratio = 0.75;
        uint64_t seed = 0;
        {
          std::lock_guard lock(mutex_);
          gallery = gallery_;
          ratio = gallery_ratio_;
          seed = gallery_seed_;
        }
        // The model's own training data where the file names it and it is here; the
        // built-in Fashion-MNIST gallery only for grayscale models.
        std::string from = "Fashion-MNIST test images";
        if (loaded.train && !loaded.train->data.empty()) {
          if (auto own = own_gallery(loaded.train->data, loaded.config, gallery.size());
              !own.empty()) {
            gallery = std::move(own);
            from = "images from " + loaded.train->data;
          }
        } else if (loaded.config.in_chans != 1) {
          gallery.clear();
        }
        auto snapshot = make_snapshot(model_, gallery, ratio, seed, step, loss,
                                      "checkpoint " + *checkpoint + " - " + from);
        std::lock_guard lock(mutex_);
        checkpoint_snapshot_ = std::move(snapshot);
        messages_.push_back("loaded " + *checkpoint);
        if (!loaded.warning.empty()) messages_.push_back(loaded.warning);
      } else if (weights) {
        apply_weights(std::move(*weights));
      } else if (request) {
        // A mask painted for the model before, of another patch grid, when these weights
        // came between the request and now: ratio and seed until the app, seeing the new
        // model, drops it and says so (a shape error here left the explorer stuck).
        auto& painted = request->mask.mask;
        if (painted && !mask_fits(model_->config(), *painted)) painted.reset();
        using Clock = std::chrono::steady_clock;
        auto ms = [](Clock::duration d) {
          return std::chrono::duration<double, std::milli>(d).count();
        };
        const auto taken = Clock::now();
        request->image = fitted_to_model(request->image);
        const auto fitted = Clock::now();
        // The main reconstruction is published first (that is what follows the slider);
        // the ratio sweep follows unless a newer request already waits.
        auto result = compute(*request);
        const auto done = Clock::now();
        result.timing = {ms(taken - submitted), ms(fitted - taken), ms(done - fitted),
                         ms(done - submitted)};
        bool newer_waiting = false;
        {
          std::lock_guard lock(mutex_);
          result_ = result;
          newer_waiting = pending_request_.has_value();
        }
        if (!newer_waiting && request->wants_extras()) {
          add_extras(*request, &result);
          std::lock_guard lock(mutex_);
          if (!pending_request_) result_ = std::move(result);
        }
      }
    } catch (const std::exception& e) {
      std::lock_guard lock(mutex_);
      if (request) {  // the app says it, as the explorer's
        ExploreResult failed;
        failed.id = request->id;
        failed.error = one_line_error(e);
        result_ = std::move(failed);
      } else {
        messages_.push_back(checkpoint ? "cannot open " + *checkpoint + ": " + one_line_error(e)
                                       : std::string(one_line_error(e)));
      }
    }
    std::lock_guard lock(mutex_);
    working_ = false;
    last_job_end_ = std::chrono::steady_clock::now();
    loading_.reset();
  }
}

}  // namespace mae::studio
