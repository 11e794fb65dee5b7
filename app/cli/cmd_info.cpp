// Why: `mae info`: what a checkpoint holds, without loading it into a model.
#include <cstdio>
#include <memory>

#include "commands.h"
#include "io/checkpoint.h"
#include "io/model_files.h"
#include "train/device.h"

namespace mae::cli {

void add_info(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  auto show_device = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("info", "describe a checkpoint, or the device commands use");
  cmd->add_option("checkpoint", *path, kCheckpointHelp);
  cmd->add_flag("--device", *show_device,
                "print the device that --device auto (every command's default) picks");
  cmd->callback([path, show_device] {
    if (*show_device) {
      std::printf("device       %s\n", describe_device(resolve_device("auto")).c_str());
      const auto units = cpu_bf16_units();
      std::printf("cpu bf16     %s\n",
                  units.empty() ? "no bf16 units (compare mae bench with and without --cpu-bf16)"
                                : (units + ": --cpu-bf16 pays").c_str());
    }
    if (path->empty()) {
      if (!*show_device) throw CLI::ValidationError("info", "give a checkpoint, or --device");
      return;
    }
    const auto file = read_model_file(*path);
    const auto& c = file.config;
    int64_t params = 0;
    for (const auto& [name, t] : file.tensors)
      if (name != "pos_embed" && name != "decoder_pos_embed") params += t.numel();
    std::printf("checkpoint   %s\n", path->c_str());
    std::printf("format       %s\n", to_string(file.format).c_str());
    if (!file.note.empty()) std::printf("note         %s\n", file.note.c_str());
    if (!file.warning.empty()) std::printf("warning      %s\n", file.warning.c_str());
    std::printf("preset       %s\n", c.preset.c_str());
    std::printf("input        %lldx%lld x%lld channels, patch %lld (%lld patches)\n",
                static_cast<long long>(c.img_h), static_cast<long long>(c.img_w),
                static_cast<long long>(c.in_chans), static_cast<long long>(c.patch),
                static_cast<long long>(c.num_patches()));
    std::printf("encoder      %lld blocks x %lld dim, %lld heads\n",
                static_cast<long long>(c.depth), static_cast<long long>(c.embed_dim),
                static_cast<long long>(c.num_heads));
    if (!file.has_decoder)
      std::printf("decoder      none (encoder only: cannot reconstruct)\n");
    else
      std::printf("decoder      %lld blocks x %lld dim, %lld heads\n",
                  static_cast<long long>(c.dec_depth), static_cast<long long>(c.dec_dim),
                  static_cast<long long>(c.dec_heads));
    std::printf("parameters   %.2f M\n", static_cast<double>(params) / 1e6);
    std::printf("norm_pix     %s%s\n", c.norm_pix_loss ? "yes" : "no",
                file.norm_pix_guessed ? " (a guess from the file name)" : "");
    if (file.trained_mask_ratio)
      std::printf("mask ratio   %.2f (trained)\n", *file.trained_mask_ratio);
    std::printf("ln eps       %g\n", c.ln_eps);
    if (!records_step(file.format)) {
      std::printf("step         not recorded in this format\n");
      return;
    }
    std::printf("step         %lld\n", static_cast<long long>(file.step));
    std::printf("loss         %.5f\n", file.loss);
    const auto loaded = read_checkpoint(*path);
    int64_t optimizer_tensors = 0;
    for (const auto& [name, t] : loaded.content.tensors)
      if (name.rfind("optimizer.", 0) == 0) ++optimizer_tensors;
    if (loaded.info.train) {
      const auto& t = *loaded.info.train;
      std::printf("trained on   %s (batch %lld x %lld, mask %.2f %s, seed %llu)\n", t.data.c_str(),
                  static_cast<long long>(t.batch), static_cast<long long>(t.accum_steps),
                  t.mask_ratio, to_string(t.mask_strategy).c_str(),
                  static_cast<unsigned long long>(t.seed));
      std::printf("optimizer    %s\n",
                  optimizer_tensors > 0 ? "AdamW state included (resumable)" : "no state");
    }
  });
}

}  // namespace mae::cli
