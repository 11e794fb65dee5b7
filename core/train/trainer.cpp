// Why: a step's random draws are keyed by (seed, step), not drawn in sequence, so a resumed run
// takes the steps the uninterrupted one would have; its loss and skip flag stay on the device
// until read one step late, so the host never waits for the GPU between steps.
#include "train/trainer.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/utils.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <utility>

#include "data/augment.h"
#include "dist/communicator.h"
#include "dist/gradient_buckets.h"
#include "io/checkpoint.h"
#include "train/device.h"
#include "train/device_upload.h"
#include "train/memory_estimate.h"
#include "train/wait_for_data.h"
#include "util/run_id.h"

namespace mae {

at::Tensor step_mask_noise(const TrainConfig& train, const MaeConfig& model, int64_t step) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(
      mix_seed(train.seed, static_cast<uint64_t>(step), 0x6d61736bULL));
  return strategy_noise(train.mask_strategy, train.accum_steps * train.ranks * train.batch,
                        model.grid_h(), model.grid_w(), train.mask_ratio, gen);
}

at::Tensor micro_batch_noise(const at::Tensor& step_noise, const TrainConfig& train, int64_t micro,
                             int64_t rank) {
  return step_noise.narrow(0, (micro * train.ranks + rank) * train.batch, train.batch);
}

DataOptions training_data_options(const MaeConfig& model, const TrainConfig& train) {
  DataOptions o;
  o.short_side_cap = crop_faithful_short_side(model.img_h, model.img_w, train.crop_scale_min);
  o.disk_cache = true;
  o.decode_threads = std::max<int64_t>(1, train.loader_workers);
  return o;
}

Trainer::Trainer(const MaeConfig& model, const TrainConfig& train,
                 std::shared_ptr<const Dataset> dataset, std::shared_ptr<Communicator> comm)
    : model_config_(model),
      train_(train),
      dataset_(std::move(dataset)),
      run_id_(new_run_id()),
      comm_(std::move(comm)) {
  model_config_.validate();
  train_.validate();
  const int64_t world = comm_ ? comm_->world() : 1;
  if (train_.ranks != world)
    throw std::invalid_argument("the training config is for " + std::to_string(train_.ranks) +
                                " ranks but " + std::to_string(world) + " are running");
  train_.device = resolve_device(train_.device);
  if (train_.batch <= 0 || train_.accum_steps <= 0 || train_.total_steps < 0)
    throw std::invalid_argument("batch, accumulation and steps must be positive");
  keep_count(model_config_.num_patches(), train_.mask_ratio);  // validates the ratio
  // Before anything large is allocated; CPU ranks on one host share its memory.
  require_training_fits(model_config_, train_, comm_ ? comm_->layout().local_world : 1);
  model_ = make_model(model_config_, train_.seed);
  model_->to(at::Device(train_.device));
  model_->train();
  model_->cast_weights_together = comm_ == nullptr;
  params_ = trainable_parameters(model_);
  optimizer_ = make_optimizer(params_, train_);
  overlap_communication(true);  // the gradient buckets, when there are ranks
}

void Trainer::overlap_communication(bool overlap) {
  if (!comm_) return;
  std::vector<at::Tensor> tensors;
  for (const auto& p : params_) tensors.push_back(p.tensor);
  buckets_.reset();  // its hooks go before the new object's are set
  buckets_ = std::make_unique<GradientBuckets>(std::move(tensors),
                                               GradientBuckets::kDefaultBucketBytes, overlap);
}

Trainer::~Trainer() = default;

int Trainer::rank() const { return comm_ ? comm_->rank() : 0; }

// Every rank builds the same initial weights from the seed, or reads the same checkpoint;
// taking rank 0's copy makes that a guarantee, as torch's DDP does.
void Trainer::adopt_rank_zero_weights() {
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> tensors;
  for (const auto& p : model_->named_parameters()) tensors.push_back(p.value());
  for (const auto& b : model_->named_buffers()) tensors.push_back(b.value());
  comm_->broadcast(tensors, 0, "taking rank 0's weights");
}

LoaderConfig training_loader_config(const MaeConfig& model, const TrainConfig& train) {
  LoaderConfig lc;
  lc.batch = train.batch;
  lc.seed = train.seed;
  lc.workers = train.loader_workers;
  lc.augment.out_h = model.img_h;
  lc.augment.out_w = model.img_w;
  lc.augment.scale_min = train.crop_scale_min;
  lc.augment.hflip = train.hflip;
  lc.mean = model.mean;
  lc.std = model.std;
  // For a GPU, uint8 crosses the bus and is normalized there; crops_on_device also moves the
  // resize there (on the CPU it moves it to the training thread, which only tests want).
  if (train.crops_on_device)
    lc.output = LoaderOutput::Crops;
  else if (train.device != "cpu")
    lc.output = LoaderOutput::Pixels;
  lc.pinned = train.device != "cpu";
  return lc;
}

void Trainer::start_loader() {
  auto config = training_loader_config(model_config_, train_);
  config.batch = train_.batch * train_.ranks;
  config.shard_index = rank();
  config.shard_count = train_.ranks;
  loader_ = std::make_unique<BatchLoader>(dataset_, config, step_ * train_.accum_steps);
}

ResumeHere resume_as(const TrainConfig& train) {
  return {train.device,   train.loader_workers, train.bf16,
          train.cpu_bf16, train.cuda_graphs,    train.crops_on_device};
}

TrainConfig going_on_with(TrainConfig saved, const ResumeHere& here) {
  if (!here.device.empty()) saved.device = here.device;
  if (here.loader_workers > 0) saved.loader_workers = here.loader_workers;
  saved.bf16 = here.bf16.value_or(saved.bf16);
  saved.cpu_bf16 = here.cpu_bf16.value_or(saved.cpu_bf16);
  saved.cuda_graphs = here.cuda_graphs.value_or(saved.cuda_graphs);
  saved.crops_on_device = here.crops_on_device.value_or(saved.crops_on_device);
  return saved;
}

std::unique_ptr<Trainer> Trainer::resume(const std::string& checkpoint,
                                         std::shared_ptr<const Dataset> dataset,
                                         int64_t total_steps, std::shared_ptr<Communicator> comm,
                                         const ResumeHere& here) {
  auto loaded = read_checkpoint(checkpoint);
  if (!loaded.info.train)
    throw CheckpointError("'" + checkpoint + "' holds no training state; it cannot be resumed");
  TrainConfig train = going_on_with(*loaded.info.train, here);
  if (total_steps > 0) train.total_steps = total_steps;
  train.ranks = comm ? comm->world() : 1;
  auto trainer =
      std::make_unique<Trainer>(loaded.info.model, train, std::move(dataset), std::move(comm));
  load_weights(trainer->model_, loaded.content);
  try {
    import_optimizer_state(*trainer->optimizer_, trainer->params_, loaded.content);
  } catch (const CheckpointError& e) {
    throw CheckpointError("'" + checkpoint + "': " + e.what());
  }
  trainer->step_ = loaded.info.step;
  trainer->last_good_loss_ = loaded.info.loss;
  if (loaded.info.run != 0) trainer->run_id_ = loaded.info.run;  // else a run saved before ids
  return trainer;
}

at::Tensor Trainer::micro_batch_loss(const at::Tensor& images, const at::Tensor& noise) {
  AutocastScope autocast(train_.device, train_.autocasts());
  return model_->training_loss(images, noise,
                               keep_count(model_config_.num_patches(), train_.mask_ratio));
}

StepOutputs Trainer::device_step(const StepInputs& in) {
  return device_step([&in](int64_t micro) {
    const auto i = static_cast<size_t>(micro);
    return std::pair{in.images[i], in.noise[i]};
  });
}

StepOutputs Trainer::device_step(const MicroBatchSource& micro_batch) {
  const double share = 1.0 / static_cast<double>(train_.accum_steps);
  StepOutputs out;
  for (int64_t micro = 0; micro < train_.accum_steps; ++micro) {
    const auto [images, noise] = micro_batch(micro);
    if (!out.loss.defined()) out.loss = at::zeros({}, images.options().dtype(at::kFloat));
    const auto loss = micro_batch_loss(images, noise);
    out.loss.add_(loss.detach().to(at::kFloat), share);
    (loss * share).backward();
    if (micro + 1 < train_.accum_steps && !carry_on_after(micro + 1)) {
      optimizer_->zero_grad();
      return {};
    }
  }
  // A non-finite loss or gradient skips the step inside the optimizer's kernel.
  out.found_inf = nonfinite_flag(out.loss, params_);
  optimizer_->step(out.found_inf);
  optimizer_->zero_grad();
  return out;
}

// On the CPU, between the micro-batches of a step (after the next one's forward, so that
// the ranks also agree on its finiteness before any of them starts the gradient all-reduce
// for a skipped step): whether every rank's loss is finite, and whether every rank's
// callback says to go on. One small all-reduce per micro-batch, far below a micro-batch's
// time; on a GPU, micro-batches are only queued, so there is nothing to agree on.
Trainer::RanksAgree Trainer::ranks_agree_after_forward(int64_t micro, bool finite) {
  if (train_.device != "cpu") return {finite, true};
  const bool carry_on = micro == 0 || carry_on_after(micro);
  auto flags = at::tensor({finite ? 0.0f : 1.0f, carry_on ? 0.0f : 1.0f});
  comm_
      ->all_reduce_sum(flags, "agreeing on micro-batch " + std::to_string(micro + 1) + " of step " +
                                  std::to_string(step_ + 1))
      .wait();
  const auto summed = flags.accessor<float, 1>();
  return {summed[0] == 0.0f, summed[1] == 0.0f};
}

bool Trainer::carry_on_after(int64_t done) {
  if (train_.device != "cpu") return true;  // queued, not run: nothing to wait for
  micro_batches_done_ = done;
  if (!between_micro_batches_) return true;
  // A save or a pause in there is not the step's time: its ms and images/s leave it out.
  const auto before = std::chrono::steady_clock::now();
  const bool carry_on = between_micro_batches_();
  time_outside_step_ += std::chrono::steady_clock::now() - before;
  return carry_on;
}

// On the CPU the loader's batches come normalized. On a GPU they come as pinned pixels, or
// as packed crop regions, which cross the bus on a side stream with the mask noise and are
// resized (crops) and normalized there; packed crops on the CPU are resized here too.
StepInputs Trainer::load_inputs(int64_t step, int64_t first_micro, int64_t count) {
  const bool crops = train_.crops_on_device;
  std::vector<at::Tensor> host;
  std::vector<PackedCrops> packed;
  // A GPU prefetching the next step's batches still runs the step just queued: only a wait
  // past its end leaves it idle.
  const DataWaitProbes probes{
      [this](std::chrono::milliseconds poll) { return loader_->wait_for_next(poll); },
      [this] { return !pending_.empty() && !pending_.back().readback.ready(); }};
  for (int64_t micro = first_micro; micro < first_micro + count; ++micro) {
    data_wait_ += wait_for_data(probes);
    if (crops) {
      packed.push_back(loader_->next_crops());
      host.push_back(packed.back().pixels);
    } else {
      host.push_back(loader_->next());
    }
    if (step_noise_step_ != step) {  // drawn once for all micro-batches of the step
      step_noise_ = step_mask_noise(train_, model_config_, step);
      step_noise_step_ = step;
    }
    host.push_back(micro_batch_noise(step_noise_, train_, micro, rank()));
  }
  const auto on_device = upload_behind_current_stream(host, train_.device);
  StepInputs in;
  for (size_t i = 0; i < on_device.size(); i += 2) {
    auto images = on_device[i];
    if (crops) {
      const auto& p = packed[i / 2];
      images = resize_packed_crops(images, p.channels, p.regions, model_config_.img_h,
                                   model_config_.img_w);
    }
    in.images.push_back(train_.device == "cpu" && !crops
                            ? images
                            : normalize_pixels(images, model_config_.mean, model_config_.std));
    in.noise.push_back(on_device[i + 1]);
  }
  return in;
}

void Trainer::prefetch_next_inputs() {
  if (train_.device == "cpu" || done()) return;
  try {
    next_inputs_ = load_inputs(step_, 0, train_.accum_steps);
  } catch (...) {
    prefetch_error_ = std::current_exception();
  }
}

StepInputs Trainer::take_inputs() {
  if (prefetch_error_) std::rethrow_exception(std::exchange(prefetch_error_, nullptr));
  StepInputs in =
      next_inputs_ ? std::move(*next_inputs_) : load_inputs(step_, 0, train_.accum_steps);
  next_inputs_.reset();
  return in;
}

// Each micro-batch is loaded when its turn comes and let go after its backward: a step of
// ViT-B/16's 4096 images holds one micro-batch of them, not 2.4 GiB, and starts at once.
StepOutputs Trainer::cpu_step() {
  return device_step([this](int64_t micro) {
    auto in = load_inputs(step_, micro, 1);
    return std::pair{std::move(in.images.front()), std::move(in.noise.front())};
  });
}

StepOutputs Trainer::launch(const StepInputs& in) {
  if (graph_) return graph_->replay(in);
  const bool capture = train_.device != "cpu" && train_.cuda_graphs && graph_note_.empty() &&
                       ++eager_steps_ > kEagerStepsBeforeCapture;
  if (!capture) return device_step(in);
  std::string failure;
  graph_ = try_capture([this](const StepInputs& buffers) { return device_step(buffers); }, in,
                       *optimizer_, &failure);
  if (!graph_) {
    graph_note_ = "the step runs eagerly: CUDA graph capture failed (" + failure + ")";
    return device_step(in);
  }
  graph_note_ = "the step runs as a CUDA graph from step " + std::to_string(step_ + 1);
  return graph_->replay(in);
}

std::vector<StepMetrics> Trainer::step() {
  const auto start = std::chrono::steady_clock::now();
  if (!loader_) start_loader();  // here, not in the constructor: resume sets step_ first
  if (comm_ && !adopted_rank_zero_weights_) {  // and the weights
    adopt_rank_zero_weights();
    adopted_rank_zero_weights_ = true;
  }
  StepMetrics m;
  m.run = run_id_;
  m.lr = learning_rate_at(train_, step_);
  optimizer_->set_lr(m.lr);
  m.stop_requested = stop_requested_;
  const StepOutputs out = comm_                    ? data_parallel_step(&m)
                          : train_.device == "cpu" ? cpu_step()
                                                   : launch(take_inputs());
  micro_batches_done_ = 0;
  step_abandoned_ = !out.loss.defined();
  if (step_abandoned_) {
    // Taken again from its first batch by a loader started at the next step, so a run
    // stopping here loads nothing more. Its skipped files still count.
    skipped_files_before_ += loader_->skipped_files();
    loader_.reset();
    time_outside_step_ = {};
    data_wait_ = {};
    last_call_ms_ = -1;
    return collect(/*wait_all=*/false);
  }
  m.graphed = graph_ != nullptr;
  ++step_;
  m.step = step_;
  const auto started = start + std::exchange(time_outside_step_, {});
  pending_.push_back({m, started, DeviceReadback({out.loss, out.found_inf})});
  // On a GPU the step is only queued so far: the next batch is loaded and its copy queued
  // while the device works, before anything waits for a loss.
  if (!comm_) prefetch_next_inputs();
  // This call's waits, within this step's time: for its own batches where they were not
  // prefetched, and on a GPU for the next step's.
  pending_.back().metrics.data_wait_ms =
      std::chrono::duration<double, std::milli>(std::exchange(data_wait_, {})).count();
  // With ranks every rank must see a stop request after the same step: no lag there.
  auto ready = collect(/*wait_all=*/comm_ != nullptr);
  last_call_ms_ =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return ready;
}

std::vector<StepMetrics> Trainer::drain() { return collect(/*wait_all=*/true); }

std::vector<StepMetrics> Trainer::collect(bool wait_all) {
  std::vector<StepMetrics> out = std::exchange(resolved_, {});
  // At most one step stays in flight: an older one is waited for.
  while (!pending_.empty() &&
         (wait_all || pending_.size() > 1 || pending_.front().readback.ready())) {
    out.push_back(resolve(pending_.front()));
    pending_.pop_front();
  }
  return out;
}

StepMetrics Trainer::resolve(PendingStep& pending) {
  const auto& values = pending.readback.wait();
  StepMetrics m = pending.metrics;
  if (values[1].item<float>() == 0.0f) {
    m.loss = values[0].item<double>();
    last_good_loss_ = m.loss;
  } else {
    ++nonfinite_steps_;
    m.loss = std::numeric_limits<double>::quiet_NaN();
    m.nonfinite = true;
  }
  // From when the step was queued or the step before it came back, whichever is later: on a
  // GPU, steps overlap, and the time between their results is what each one took.
  const auto now = std::chrono::steady_clock::now();
  m.step_ms =
      std::chrono::duration<double, std::milli>(now - std::max(pending.started, last_resolved_))
          .count();
  last_resolved_ = now;
  m.images_per_sec = static_cast<double>(train_.effective_batch()) / (m.step_ms / 1000.0);
  m.memory_bytes = memory_in_use(train_.device);
  m.skipped_files = skipped_files_before_ + (loader_ ? loader_->skipped_files() : 0);
  return m;
}

// With ranks the loss and finiteness travel in the first gradient bucket as host numbers, so
// this path reads the loss of each micro-batch and is never captured.
StepOutputs Trainer::data_parallel_step(StepMetrics* m) {
  const auto on_device = at::TensorOptions().device(at::Device(train_.device)).dtype(at::kFloat);
  double loss_sum = 0.0;
  bool finite = true;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double share = 1.0 / static_cast<double>(train_.accum_steps);
  // All micro-batches are loaded even when one is non-finite, so that the next step's
  // batches stay those of its own step.
  const StepInputs in = load_inputs(step_, 0, train_.accum_steps);
  for (int64_t micro = 0; micro < train_.accum_steps && finite; ++micro) {
    const auto loss = micro_batch_loss(in.images[static_cast<size_t>(micro)],
                                       in.noise[static_cast<size_t>(micro)]);
    const double value = loss.item<double>();
    finite = std::isfinite(value);
    if (finite) loss_sum += value * share;
    if (micro + 1 < train_.accum_steps) {
      const auto agreed = ranks_agree_after_forward(micro, finite);
      if (!agreed.carry_on) {
        optimizer_->zero_grad();
        return {};
      }
      finite = agreed.finite;
    }
    // Before the last backward, so the gradient all-reduce overlaps it. Every rank takes
    // part even after a non-finite loss, so that all of them agree to skip the step.
    if (micro + 1 == train_.accum_steps || !finite)
      buckets_->start(*comm_,
                      {finite ? loss_sum : nan, finite ? 0.0 : 1.0, m->stop_requested ? 1.0 : 0.0},
                      "the gradient all-reduce of step " + std::to_string(step_ + 1));
    if (finite) (loss * share).backward();
  }
  const auto reduce_start = std::chrono::steady_clock::now();
  const auto summed = buckets_->finish();
  m->allreduce_buckets = static_cast<int64_t>(buckets_->bucket_count());
  m->buckets_started_in_backward = static_cast<int64_t>(buckets_->started_in_backward());
  loss_sum = summed[0] / static_cast<double>(comm_->world());
  finite = summed[1] == 0.0 && std::isfinite(loss_sum);
  m->stop_requested = summed[2] > 0.0;
  m->allreduce_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - reduce_start)
          .count();
  StepOutputs out;
  out.loss = at::full({}, loss_sum, on_device);
  out.found_inf = nonfinite_flag(out.loss, params_);
  if (!finite) out.found_inf.fill_(1.0);
  optimizer_->step(out.found_inf);
  optimizer_->zero_grad();
  return out;
}

void Trainer::save(const std::string& path) {
  resolved_ = collect(/*wait_all=*/true);
  save_checkpoint(path, model_, export_optimizer_state(*optimizer_, params_), &train_, step_,
                  last_good_loss_, at::kFloat, run_id_);
}

}  // namespace mae
