// Why: `mae reconstruct`: the authors' demo for one image, as a four-panel PNG strip
// (masked | reconstruction | reconstruction + visible | original).
#include <cstdio>
#include <memory>

#include "commands.h"
#include "data/dataset.h"
#include "data/image_io.h"
#include "data/picture_fit.h"
#include "infer/pipeline_trace.h"
#include "infer/reconstruct.h"
#include "io/model_files.h"
#include "mask_options.h"
#include "read_weights.h"
#include "train/device.h"

namespace mae::cli {

namespace {
struct ReconstructArgs {
  std::string checkpoint;
  std::string image;
  std::string out = "reconstruction.png";
  std::string device = "auto";
  MaskArgs mask;
  int64_t index = 0;
  int64_t scale = 0;
  std::string stages;  // folder for the step-through PNG sequence
};

void run(const ReconstructArgs& a) {
  const auto file = read_weights(a.checkpoint);
  auto model = build_model(file, resolve_device(a.device));
  const int64_t channels = file.config.in_chans;
  at::Tensor image;
  if (a.image.rfind("fashion-mnist", 0) == 0) {
    auto dataset = open_dataset(a.image, channels);
    if (a.index < 0 || a.index >= dataset->size())
      throw std::invalid_argument("--index is outside the dataset");
    image = dataset->load_decoded(a.index);
  } else {
    image = load_picture(a.image, channels);
  }
  // Fitted once, before the reconstruction and the stages: a large photo is never all floats.
  image = fit_picture(image, channels, file.config.img_h, file.config.img_w);
  const auto mask = resolve_mask(a.mask, file);
  MaskRequest request;
  request.ratio = mask.ratio;
  request.strategy = mask.strategy;
  request.seed = mask.seed;
  auto r = reconstruct(model, image, request);
  auto strip = make_strip({r.masked, r.reconstruction, r.pasted, r.original});
  // Small models make tiny images: enlarge with nearest-neighbour so patches stay crisp.
  const int64_t scale = a.scale > 0 ? a.scale : std::max<int64_t>(1, 112 / file.config.img_h);
  if (scale > 1) strip = strip.repeat_interleave(scale, 1).repeat_interleave(scale, 2);
  save_png(a.out, strip);
  std::printf(
      "wrote %s (masked | reconstruction | reconstruction + visible | original); ratio %.2f%s; "
      "masked-patch MSE %.4f in %s; removed-pixel MSE %.4f on the pictures' 0-1 scale\n",
      a.out.c_str(), request.ratio, mask.ratio_note, r.masked_mse, error_space(file.config).c_str(),
      r.removed_pixel_mse);
  if (!a.stages.empty()) {
    const auto stages = trace_pipeline(model, image, request);
    export_pipeline_trace(stages, a.stages);
    std::printf("wrote %zu pipeline stages (PNG each, names and shapes in stages.txt) to %s\n",
                stages.size(), a.stages.c_str());
  }
}
}  // namespace

void add_reconstruct(CLI::App& app) {
  auto args = std::make_shared<ReconstructArgs>();
  auto* cmd = app.add_subcommand("reconstruct", "write a four-panel reconstruction strip");
  cmd->add_option("--checkpoint", args->checkpoint, kCheckpointHelp)->required();
  cmd->add_option("--image", args->image, "an image file, or fashion-mnist[:test] with --index")
      ->required();
  cmd->add_option("--index", args->index, "image index when --image names a dataset");
  add_mask_options(cmd, &args->mask);
  cmd->add_option("--out", args->out, "output PNG")->capture_default_str();
  cmd->add_option("--scale", args->scale, "integer enlargement (default: to about 112 px)")
      ->check(CLI::Range(1, 64));
  cmd->add_option("--stages", args->stages,
                  "also write the pipeline step by step (patchify ... per-patch loss) as PNGs "
                  "into this folder");
  cmd->add_option("--device", args->device, "auto (a GPU when there is one), cpu or cuda")
      ->capture_default_str();
  cmd->callback([args] { run(*args); });
}

}  // namespace mae::cli
