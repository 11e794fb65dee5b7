// Why: `mae train`: a whole run from the terminal, with a progress line, metrics.jsonl,
// periodic and final checkpoints, resume, and Ctrl+C (or SIGTERM) that saves before it exits.
// Launched as ranks (torchrun, srun, or --ranks N), every rank trains its slice of each batch and
// rank 0 alone writes the progress, the metrics and the checkpoints.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <stop_token>
#include <thread>

#include "commands.h"
#include "dist/communicator.h"
#include "io/checkpoint.h"
#include "io/metrics_record.h"
#include "local_ranks.h"
#include "other_work_on_cpu.h"
#include "recipe/recipe.h"
#include "resume_notes.h"
#include "status_line.h"
#include "train/allreduce_tally.h"
#include "train/data_wait_watch.h"
#include "train/device.h"
#include "train/loader_workers.h"
#include "train/memory_estimate.h"
#include "train/run_control.h"
#include "train/step_thread_tuner.h"
#include "train/trainer.h"
#include "unreadable_files.h"
#include "util/folder_lock.h"
#include "util/format_duration.h"
#include "util/intra_op_threads.h"

namespace mae::cli {

namespace {

volatile std::sig_atomic_t g_interrupted = 0;

struct TrainArgs {
  std::string data = "fashion-mnist";
  std::string preset = "fmnist-tiny";
  std::string out = "runs/latest";
  std::string device = "auto";
  int64_t steps = 0;
  int64_t batch = 0;
  int64_t accum = 1;
  double lr = 0.0;
  double base_lr = 0.0;
  double mask_ratio = -1.0;
  std::string strategy = "random";
  int norm_pix = -1;  // -1: the preset's, 0 off, 1 on
  bool resume = false;
  int64_t seed = 0;
  int64_t save_every = 0;
  int64_t workers = 0;  // 0: default_loader_workers
  int64_t log_every = 10;
  double crop_min = -1.0;
  int64_t until = 0;
  int ranks = 0;
  int gpus = 0;
  int64_t dist_timeout_s = 300;
  bool no_overlap = false;
  bool cpu_bf16 = false;
  bool adapt_threads = false;
  bool no_cuda_graphs = false;
  bool crops_on_device = false;
};

// This process's place in a data-parallel run; the plain run is rank 0 of 1.
struct RankPlace {
  std::shared_ptr<Communicator> comm;
  bool writes() const { return !comm || comm->rank() == 0; }
  int world() const { return comm ? comm->world() : 1; }
  int local_ranks() const { return comm ? comm->layout().local_world : 1; }
};

// Every rank must train the same micro-batches, or their steps would not line up: rank 0's
// split of the recipe's batch is everyone's (free memory read at slightly different moments
// could split it differently). A rank that cannot hold it then says so.
TrainConfig rank_zero_split(TrainConfig t, Communicator& comm) {
  std::vector<at::Tensor> split{
      at::tensor({t.batch, t.accum_steps}, at::TensorOptions().dtype(at::kLong))
          .to(at::Device(resolve_device(t.device)))};
  comm.broadcast(split, 0, "agreeing on the micro-batch split");
  const auto agreed = split.front().cpu();
  t.batch = agreed[0].item<int64_t>();
  t.accum_steps = agreed[1].item<int64_t>();
  return t;
}

// Opens the data with the trainer's options, printing the data stage as it goes, and runs
// the first pass (decoding every file once into the cache) before the first step.
std::shared_ptr<Dataset> open_training_data(const MaeConfig& model, const TrainConfig& t,
                                            bool quiet) {
  StatusLine status;
  std::optional<DataProgress::Stage> shown_stage;
  // In a log file, each stage's first line, then its progress every few seconds.
  auto print = [quiet, &status, &shown_stage](const DataProgress& p) {
    if (quiet) return;
    status.show(p.line(), /*throttled=*/shown_stage == p.stage);
    shown_stage = p.stage;
  };
  auto dataset = open_dataset(t.data, model.in_chans, training_data_options(model, t), print);
  std::stop_source stop;
  std::jthread watch([&stop](const std::stop_token& done) {
    while (!done.stop_requested() && !g_interrupted)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (g_interrupted) stop.request_stop();
  });
  dataset->prepare(print, stop.get_token());
  watch.request_stop();
  status.finish();
  if (!quiet) print_unreadable(dataset->unreadable());
  return dataset;
}

std::unique_ptr<Trainer> make_trainer(const TrainArgs& a, const std::string& last,
                                      const RankPlace& place) {
  if (a.resume) {
    if (!std::filesystem::exists(last))
      throw std::runtime_error("--resume: no checkpoint at '" + last + "'");
    auto info = read_checkpoint_info(last);
    if (!info.train)
      throw std::runtime_error("'" + last + "' holds no training state; it cannot be resumed");
    if (info.train->ranks != place.world() && place.writes())
      std::fprintf(stderr,
                   "note: '%s' was trained on %lld rank(s) and goes on with %d; the batch per "
                   "step changes from %lld to %lld images\n",
                   last.c_str(), static_cast<long long>(info.train->ranks), place.world(),
                   static_cast<long long>(info.train->effective_batch()),
                   static_cast<long long>(info.train->effective_batch() / info.train->ranks *
                                          place.world()));
    // This machine's device, loader threads and step choices, not those of the machine that
    // saved it.
    ResumeHere here{a.device, a.workers > 0
                                  ? a.workers
                                  : default_loader_workers(a.device, place.local_ranks())};
    here.cpu_bf16 = a.cpu_bf16;
    here.cuda_graphs = !a.no_cuda_graphs;
    here.crops_on_device = a.crops_on_device;
    const TrainConfig train_here = going_on_with(*info.train, here);
    check_total_steps(last, *info.train, info.step, a.steps, place.writes());
    if (place.writes()) note_resumed_differently(last, *info.train, train_here, place.world());
    return Trainer::resume(last, open_training_data(info.model, train_here, !place.writes()),
                           a.steps, place.comm, here);
  }
  Recipe r = preset_recipe(a.preset);
  if (a.steps > 0) set_total_steps(r, a.steps);
  if (a.norm_pix >= 0) r.model.norm_pix_loss = a.norm_pix == 1;
  TrainConfig& t = r.train;
  t.data = a.data;
  if (a.batch > 0) t.batch = a.batch;
  t.accum_steps = a.accum;
  if (a.base_lr > 0) t.base_lr = a.base_lr;
  t.lr = a.lr;
  if (a.mask_ratio >= 0) t.mask_ratio = a.mask_ratio;
  t.mask_strategy = parse_mask_strategy(a.strategy);
  if (a.crop_min > 0) t.crop_scale_min = a.crop_min;
  t.seed = static_cast<uint64_t>(a.seed);
  t.device = a.device;
  t.cpu_bf16 = a.cpu_bf16;
  t.cuda_graphs = !a.no_cuda_graphs;
  t.crops_on_device = a.crops_on_device;
  t.loader_workers =
      a.workers > 0 ? a.workers : default_loader_workers(t.device, place.local_ranks());
  t.ranks = place.world();
  if (a.batch <= 0) {
    // The recipe's batch is the paper's images per step, shared by the ranks (ViT-B/16: 4096
    // over 64 GPUs), so that the step and its lr are the recipe's on any number of ranks.
    t.batch = std::max<int64_t>(1, t.batch / place.world());
    // As micro-batches that fit: the same images per step. A batch the user chose is theirs,
    // and is refused below when it does not fit.
    auto fitted = fit_micro_batch(r.model, t, memory_for_one_rank(t.device, place.local_ranks()));
    if (place.comm) fitted = rank_zero_split(fitted, *place.comm);
    if (fitted.batch != t.batch && place.writes())
      std::fprintf(stderr,
                   "note: %lld images per step%s do not fit at once on this device; they "
                   "train as %lld micro-batches of %lld (--batch and --accum choose)\n",
                   static_cast<long long>(t.batch),
                   place.comm ? " and rank (the recipe's batch over the ranks)" : "",
                   static_cast<long long>(fitted.accum_steps),
                   static_cast<long long>(fitted.batch));
    t = fitted;
  }
  if (place.writes()) std::fprintf(stderr, "recipe: %s\n", describe_recipe(r.model, t).c_str());
  // Before a photo folder's first pass, not after it.
  require_training_fits(r.model, t, place.local_ranks());
  auto dataset = open_training_data(r.model, t, !place.writes());
  return std::make_unique<Trainer>(r.model, t, dataset, place.comm);
}

// Joins the run the launcher described, if any; a CUDA rank drives its local GPU.
RankPlace join_ranks(TrainArgs& a) {
  const auto layout = rank_layout_from_env([](const char* name) { return std::getenv(name); });
  if (!layout) return {};
  if (a.device.rfind("cuda", 0) == 0) a.device = "cuda:" + std::to_string(layout->local_rank);
  RankPlace place;
  place.comm = Communicator::connect(*layout, a.device, std::chrono::seconds(a.dist_timeout_s));
  if (layout->rank == 0)
    std::fprintf(stderr, "rank 0 of %d (%s, %s over %s:%d)\n", layout->world,
                 layout->launcher.c_str(), place.comm->backend_name().c_str(),
                 layout->master_addr.c_str(), layout->master_port);
  return place;
}

void run(TrainArgs a) {
  a.device = resolve_device(a.device);
  const RankPlace place = join_ranks(a);
  const bool writes = place.writes();
  const std::string last = a.out + "/last.safetensors";
  if (writes) std::filesystem::create_directories(a.out);
  // A second run into the same folder would mix its curve into this one's and overwrite its
  // checkpoints: the folder is locked until this process ends.
  std::optional<FolderLock> out_lock;
  if (writes && out_lock.emplace(a.out, kTrainWriter).held_elsewhere())
    throw std::runtime_error(out_lock->in_use() +
                             ": choose another --out, or --resume there once that run ends");
  // What other processes take of the CPU while the run is set up: a hint where it is busy.
  OtherWorkOnCpu other_work;
  auto trainer = make_trainer(a, last, place);
  if (a.no_overlap) trainer->overlap_communication(false);
  const auto& t = trainer->train_config();
  if (writes)
    std::fprintf(stderr,
                 "training %s on %s: %lld steps, batch %lld x %lld x %lld rank(s), peak lr %.3g, "
                 "device %s%s\n",
                 trainer->model_config().preset.c_str(), t.data.c_str(),
                 static_cast<long long>(t.total_steps), static_cast<long long>(t.batch),
                 static_cast<long long>(t.accum_steps), static_cast<long long>(t.ranks),
                 t.peak_lr(), describe_device(t.device).c_str(),
                 t.autocasts() ? ", bf16 autocast" : ", fp32");
  const bool hint_other_work = writes && !place.comm && t.device == "cpu" && !a.adapt_threads;
  if (hint_other_work) other_work.say_if_busy(0.2);
  std::optional<MetricsLog> metrics;
  if (writes) {
    metrics.emplace(
        a.out + "/metrics.jsonl",
        a.resume ? std::optional(CheckpointMark{trainer->current_step(), trainer->last_good_loss(),
                                                trainer->run_id()})
                 : std::nullopt);
    if (metrics->moved_aside()) std::fprintf(stderr, "%s\n", metrics->moved_aside()->c_str());
  }
  // Ctrl+C, and SIGTERM as Slurm sends it before a job's time limit or a launcher when it
  // goes: stop after the step (all ranks at the same one) and save.
  std::signal(SIGINT, [](int) { g_interrupted = 1; });
  std::signal(SIGTERM, [](int) { g_interrupted = 1; });
  const int64_t first = trainer->current_step();
  double elapsed = 0.0;
  int nonfinite_in_a_row = 0;
  std::string graph_note;
  DataWaitWatch data_wait;
  AllReduceTally allreduce;
  StatusLine status;
  // A curve that cannot be written is said once, and the run goes on without it.
  const auto say_if_metrics_failed = [&](const char* then) {
    if (const auto failed = metrics->new_failure()) {
      status.finish();
      std::fprintf(stderr, "%s%s\n", failed->c_str(), then);
    }
  };
  // One step's metrics: logged, and whether the loop must end (a stop agreed by the ranks).
  // A GPU's come back a step late, so the last ones arrive from drain().
  const auto report = [&](const StepMetrics& m) {
    nonfinite_in_a_row = m.nonfinite ? nonfinite_in_a_row + 1 : 0;
    if (!writes)  // every rank sees the same flags; rank 0 says why it stopped
      return m.stop_requested || nonfinite_in_a_row >= TrainingRun::kMaxNonfiniteInARow;
    elapsed += m.step_ms / 1000.0;
    if (trainer->graph_note() != graph_note) {
      graph_note = trainer->graph_note();
      status.finish();
      std::fprintf(stderr, "%s\n", graph_note.c_str());
    }
    metrics->write(m);
    say_if_metrics_failed("; training goes on");
    if (hint_other_work) other_work.say_if_busy(30.0, &status);
    data_wait.add(m.data_wait_ms, m.step_ms);
    allreduce.add(m);
    if (data_wait.warn_now()) {
      status.finish();
      std::fprintf(stderr,
                   "note: training waited for data %.0f%% of the last %d steps: the loader's %lld "
                   "threads fall behind; more --workers may help (this machine has %u cores)\n",
                   100 * data_wait.share(), DataWaitWatch::kSteps,
                   static_cast<long long>(t.loader_workers), std::thread::hardware_concurrency());
    }
    if (m.nonfinite) {
      status.finish();
      std::fprintf(stderr, "step %lld: non-finite loss; step skipped, weights kept\n",
                   static_cast<long long>(m.step));
    }
    if (m.step % a.log_every == 0 || m.step == t.total_steps) {
      const double per_step = elapsed / static_cast<double>(m.step - first);
      // The loader's share of the step, where it shows: a sign of a loader falling behind.
      char waited[32] = "";
      if (data_wait.share() >= 0.05)
        std::snprintf(waited, sizeof waited, "  data wait %.0f%%", 100 * data_wait.share());
      status.showf(false, "step %lld/%lld  loss %.4f  lr %.2e  %.0f img/s  %.0f ms/step%s  ETA %s",
                   static_cast<long long>(m.step), static_cast<long long>(t.total_steps),
                   trainer->last_good_loss(), m.lr, m.images_per_sec, m.step_ms, waited,
                   format_duration(per_step * static_cast<double>(t.total_steps - m.step)).c_str());
    }
    if (a.save_every > 0 && m.step % a.save_every == 0) {
      metrics->flush();  // a resume from this save finds every step up to it
      say_if_metrics_failed("; training goes on");
      trainer->save(last);
    }
    if (nonfinite_in_a_row >= TrainingRun::kMaxNonfiniteInARow) {
      metrics->flush();
      trainer->save(last);
      throw std::runtime_error(
          "stopped at step " + std::to_string(m.step) + " after " +
          std::to_string(nonfinite_in_a_row) +
          " non-finite losses in a row (lower the lr); the weights from before them are in " +
          last);
    }
    if (m.stop_requested) g_interrupted = 1;
    return m.stop_requested;
  };
  // On the CPU a step of many micro-batches is long (ViT-B/16's recipe: 32 of about a
  // minute): its progress is shown, and Ctrl+C abandons it between two micro-batches (with
  // ranks, every rank's, once any one has seen it); the save then holds the steps before it,
  // and --resume takes the abandoned one again.
  auto shown_at = std::chrono::steady_clock::now();
  trainer->set_between_micro_batches([&] {
    const auto now = std::chrono::steady_clock::now();
    if (writes && now - shown_at >= std::chrono::seconds(1)) {
      shown_at = now;
      status.showf(true, "step %lld/%lld: %lld of %lld micro-batches done",
                   static_cast<long long>(trainer->current_step() + 1),
                   static_cast<long long>(t.total_steps),
                   static_cast<long long>(trainer->micro_batches_done()),
                   static_cast<long long>(t.accum_steps));
    }
    return !g_interrupted;
  });
  // --adapt-threads: on the CPU each step takes the threads that are fastest now, beside
  // whatever else the machine runs; a change that holds is said.
  StepThreadTuner tuner;
  const bool adapt = a.adapt_threads && t.device == "cpu";
  const int all_threads = default_intra_op_threads();
  int told_threads = all_threads;
  const auto choose_threads = [&] {
    set_intra_op_threads_here(tuner.threads_for_next_step(all_threads, trainer->last_call_ms(),
                                                          std::chrono::steady_clock::now()));
    if (!writes || tuner.settled_threads() == told_threads) return;
    told_threads = tuner.settled_threads();
    status.finish();
    if (told_threads < all_threads)
      std::fprintf(
          stderr,
          "step %lld: %d of %d threads from now on, faster beside the other work on this CPU\n",
          static_cast<long long>(trainer->current_step()), told_threads, all_threads);
    else
      std::fprintf(stderr,
                   "step %lld: all %d threads again, the other work on this CPU has eased\n",
                   static_cast<long long>(trainer->current_step()), all_threads);
  };
  bool stop = false;
  while (!stop && !trainer->done() && !(a.until > 0 && trainer->current_step() >= a.until)) {
    // Ranks agree on the step to stop at, so the check travels with the step's gradients.
    if (g_interrupted) {
      if (!place.comm) break;
      trainer->request_stop();
    }
    if (adapt) choose_threads();
    const auto metrics_ready = trainer->step();
    for (const auto& m : metrics_ready) stop = report(m) || stop;
    if (trainer->step_abandoned()) {  // on every rank, when any one was interrupted
      g_interrupted = 1;
      break;
    }
  }
  for (const auto& m : trainer->drain()) report(m);
  if (!writes) return;
  metrics->flush();
  say_if_metrics_failed("");
  status.finish();
  if (const auto tally = allreduce.summary(); !tally.empty())
    std::fprintf(stderr, "%s\n", tally.c_str());
  trainer->save(last);
  const char* how = g_interrupted ? "interrupted" : trainer->done() ? "done" : "paused (--until)";
  std::fprintf(stderr, "%s at step %lld; saved %s\n", how,
               static_cast<long long>(trainer->current_step()), last.c_str());
}

// Other ranks' failures are named by their rank; c10d's own already say which rank it was.
void run_as_rank(const TrainArgs& a) {
  try {
    run(a);
  } catch (const DistError&) {
    throw;
  } catch (const std::exception& e) {
    const char* rank = std::getenv("RANK");
    if (!rank) rank = std::getenv("SLURM_PROCID");
    if (!rank) throw;
    throw std::runtime_error("rank " + std::string(rank) + ": " + e.what());
  }
}

}  // namespace

void add_train(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  auto* cmd =
      app.add_subcommand("train", "train an MAE (writes <out>/last.safetensors, metrics.jsonl)");
  cmd->add_option("--data", args->data, "folder, image, fashion-mnist or fashion-mnist:test")
      ->capture_default_str();
  cmd->add_option("--preset", args->preset, "fmnist-tiny, rgb-small, vit-b16, vit-l16, vit-h14")
      ->capture_default_str();
  cmd->add_option("--steps", args->steps,
                  "optimizer steps (default: the preset's; with --resume, a new total that "
                  "the lr schedule stretches to)")
      ->check(kCount);
  cmd->add_option("--out", args->out, "output folder")->capture_default_str();
  cmd->add_flag("--resume", args->resume,
                "continue the run saved in <out>/last.safetensors (metrics.jsonl keeps the "
                "steps up to that save and goes on from there)");
  cmd->add_option("--device", args->device, "auto (a GPU when there is one), cpu or cuda")
      ->capture_default_str();
  cmd->add_flag("--cpu-bf16", args->cpu_bf16,
                "bf16 autocast on the CPU too (fast with AVX-512 BF16 or AMX; off by default)");
  cmd->add_flag("--adapt-threads", args->adapt_threads,
                "on the CPU, give up threads while that makes steps faster (beside other busy "
                "processes); the losses then differ in their last digits from run to run");
  cmd->add_flag("--no-cuda-graphs", args->no_cuda_graphs,
                "on a GPU, run every step eagerly instead of capturing it as a CUDA graph");
  cmd->add_flag("--crops-on-device", args->crops_on_device,
                "on a GPU, resize the crops there: the loader threads only copy each picture's "
                "crop region (for photo folders on a machine short of CPU cores; on the CPU it "
                "only moves the resize onto the training thread)");
  cmd->add_option("--batch", args->batch,
                  "images per micro-batch and rank (default: the preset's batch over the ranks)")
      ->check(kCount);
  cmd->add_option("--accum", args->accum, "micro-batches per optimizer step")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, TrainConfig::kMaxAccumSteps));
  cmd->add_option("--lr", args->lr, "absolute peak learning rate (overrides --base-lr)")
      ->check(kLearningRate);
  cmd->add_option("--base-lr", args->base_lr, "lr = base_lr * batch * accum / 256")
      ->check(kLearningRate);
  cmd->add_option("--mask-ratio", args->mask_ratio,
                  "fraction of patches removed (default: the preset's)")
      ->check(CLI::Range(0.0, 0.99));
  cmd->add_option("--mask-strategy", args->strategy, "random, block or grid")
      ->capture_default_str();
  cmd->add_flag_callback(
      "--norm-pix", [args] { args->norm_pix = 1; },
      "per-patch normalized pixel targets (default: the preset's)");
  cmd->add_flag_callback(
      "--no-norm-pix", [args] { args->norm_pix = 0; }, "plain pixel targets");
  cmd->add_option("--crop-min", args->crop_min, "RandomResizedCrop minimum scale")
      ->check(CLI::Range(0.01, 1.0));
  cmd->add_option("--seed", args->seed, "seed for init, data order, crops and masks")
      ->capture_default_str();
  cmd->add_option("--save-every", args->save_every, "also save every N steps")->check(kCount);
  cmd->add_option("--until", args->until,
                  "stop and save after step N of the planned run (--resume goes on), e.g. to "
                  "fit a cluster job's time limit")
      ->check(kCount);
  cmd->add_option("--workers", args->workers,
                  "data loader threads (default: 2 on the CPU; on a GPU, the cores less one, "
                  "shared by the ranks, at most 16)")
      ->check(kCount);
  cmd->add_option("--log-every", args->log_every, "progress line every N steps")
      ->capture_default_str()
      ->check(kCount);
  cmd->add_option("--ranks", args->ranks,
                  "start N data-parallel ranks on this machine (Gloo on CPU, NCCL on CUDA); "
                  "--batch is per rank")
      ->check(CLI::Range(2, 1024));
  cmd->add_option("--gpus", args->gpus,
                  "start N ranks, one per local GPU (--ranks N --device cuda)")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--dist-timeout", args->dist_timeout_s,
                  "seconds a rank waits for the others before it gives up with a message")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  cmd->add_flag("--no-overlap", args->no_overlap,
                "all-reduce the gradients after backward instead of during it (to measure)");
  cmd->callback([args] {
    if (args->ranks > 0 && args->gpus > 0)
      throw std::runtime_error("give --ranks or --gpus, not both");
    if (args->ranks > 0 || args->gpus > 0) {
      if (std::getenv("WORLD_SIZE") || std::getenv("RANK"))
        throw std::runtime_error("--ranks/--gpus inside a launcher that already started ranks");
      const int count = std::max(args->ranks, args->gpus);
      // Ranks on CUDA take a GPU each (cuda:LOCAL_RANK): with more ranks than GPUs, a rank
      // would ask for a GPU that is not there once the others had started.
      const std::string device = resolve_device(args->gpus > 0 ? "cuda" : args->device);
      const int gpus = device == "cpu" ? 0 : cuda_device_count();
      if (device != "cpu" && count > gpus)
        throw std::runtime_error(
            std::string(args->gpus > 0 ? "--gpus " : "--ranks ") + std::to_string(count) +
            " puts one rank on each GPU, and this machine has " + std::to_string(gpus) +
            (args->gpus > 0
                 ? ""
                 : "; add --device cpu for " + std::to_string(count) + " ranks on the CPU (Gloo)"));
      run_local_ranks(count, args->gpus > 0, std::chrono::seconds(args->dist_timeout_s + 10));
      return;
    }
    run_as_rank(*args);
  });
}

}  // namespace mae::cli
