// Why: the Training panel: data source, preset and hyper-parameters, device, and the run
// buttons with a progress bar (ETA, images/s, step time, memory).
#include <imgui.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "ended_run_advice.h"
#include "model/presets.h"
#include "panels.h"
#include "recipe/train_config.h"
#include "studio_app.h"
#include "train/device.h"
#include "util/format_duration.h"

namespace mae::studio {

namespace {

// The run's wait for its loader's batches, where it is a tenth of its steps or more.
void data_wait_line(const AppState& s) {
  const double waited = s.data_wait.share();
  if (waited < 0.1) return;
  ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
  text_wrapped("waiting for data %.0f%% of each step: the loader falls behind the training",
               100 * waited);
  ImGui::PopStyleColor();
}

// A run written by another process: how far it is, whether it is still writing, and the
// checkpoint the pictures come from.
void draw_watched_run(StudioApp& app, const RunWatchState& w) {
  if (ImGui::SmallButton("Stop watching")) app.stop_watching();
  ImGui::SameLine();
  text_wrapped("%s (read-only)", w.folder.c_str());
  const bool needs_attention =
      w.run.state == FollowedRunState::Stalled || w.run.state == FollowedRunState::Ended;
  const ImVec4 colour = needs_attention                         ? ImVec4(1.0f, 0.55f, 0.3f, 1.0f)
                        : w.run.state == FollowedRunState::Live ? ImVec4(0.45f, 0.9f, 0.45f, 1.0f)
                                                                : ImVec4(0.8f, 0.8f, 0.8f, 1.0f);
  ImGui::PushStyleColor(ImGuiCol_Text, colour);
  if (w.run.state == FollowedRunState::Stalled)
    text_wrapped("stalled: no new step for %s (stalled means %.0f s without one)",
                 format_duration(w.run.seconds_since_progress).c_str(), w.run.stall_after_seconds);
  else if (w.run.state == FollowedRunState::Waiting && w.run.folder_missing)
    text_wrapped("waiting for a run to make the folder (mae train --out %s)", w.folder.c_str());
  else if (w.run.state == FollowedRunState::Waiting)
    text_wrapped("waiting for metrics.jsonl to get its first line");
  else if (w.run.state == FollowedRunState::Ended && w.checkpoint_step >= 0)
    text_wrapped(
        "ended at step %lld: no process trains it any more%s. Its checkpoint of step "
        "%lld goes on: %s",
        static_cast<long long>(w.run.last_step),
        w.run.writer.empty() ? "" : (" (it was " + w.run.writer + ")").c_str(),
        static_cast<long long>(w.checkpoint_step), how_to_go_on(w).c_str());
  else if (w.run.state == FollowedRunState::Ended)
    text_wrapped(
        "ended at step %lld without a checkpoint: no process trains it any more%s, and no "
        "save is left to go on from",
        static_cast<long long>(w.run.last_step),
        w.run.writer.empty() ? "" : (" (it was " + w.run.writer + ")").c_str());
  else
    text_wrapped("%s, last update %s ago", to_string(w.run.state).c_str(),
                 format_duration(w.run.seconds_since_progress).c_str());
  ImGui::PopStyleColor();
  char overlay[160];
  const auto& m = app.state().last_metrics;
  if (w.run.total_steps > 0) {
    ImGui::ProgressBar(static_cast<float>(w.run.last_step) / static_cast<float>(w.run.total_steps),
                       ImVec2(-1, 0), watched_run_progress(w.run, app.state()).c_str());
  } else {  // the bar's text is centred and clipped: the explanation goes under it
    std::snprintf(overlay, sizeof overlay, "step %lld", static_cast<long long>(w.run.last_step));
    ImGui::ProgressBar(0.0f, ImVec2(-1, 0), overlay);
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    text_wrapped("the run's total steps come with its first checkpoint");
    ImGui::PopStyleColor();
  }
  if (app.state().have_metrics) {
    if (m.nonfinite)
      ImGui::Text("loss: not finite at this step   lr %.2e", m.lr);
    else
      ImGui::Text("loss %.4f   lr %.2e", m.loss, m.lr);
    ImGui::Text("%.0f img/s   %.0f ms/step   %.0f MiB", m.images_per_sec, m.step_ms,
                static_cast<double>(m.memory_bytes) / (1 << 20));
    data_wait_line(app.state());
  }
  ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
  if (w.checkpoint_step >= 0)
    text_wrapped("pictures from the checkpoint of step %lld (%d loaded so far)",
                 static_cast<long long>(w.checkpoint_step), w.checkpoints_loaded);
  else if (w.run.state != FollowedRunState::Ended)
    text_wrapped(
        "no checkpoint yet: pictures come with each save (the app's Save, mae train "
        "--save-every)");
  if (!w.recipe.empty()) text_wrapped("recipe: %s", w.recipe.c_str());
  ImGui::PopStyleColor();
}

}  // namespace

std::string watched_run_progress(const FollowedRunStatus& run, const AppState& s) {
  std::string text = std::to_string(run.last_step) + " / " + std::to_string(run.total_steps);
  if (run.state == FollowedRunState::Live && s.have_metrics && run.last_step < run.total_steps) {
    const auto steps_left = static_cast<double>(run.total_steps - run.last_step);
    text += "  ETA " + format_duration(steps_left * s.mean_step_ms / 1000.0);
  }
  return text;
}

void draw_training_panel(StudioApp& app) {
  auto& s = app.state();
  auto& f = s.form;
  if (!begin_panel(app, Panel::Training, "Training")) return;
  if (s.watch) {  // read-only: no form for a run here, which would end the watch
    draw_watched_run(app, *s.watch);
    ImGui::End();
    return;
  }
  // The inputs leave room for their longest label, so that no label is cut off at the
  // panel's edge in a narrow window.
  ImGui::PushItemWidth(
      -(ImGui::CalcTextSize("crop min scale").x + ImGui::GetStyle().ItemInnerSpacing.x));
  const bool active = app.training_active();
  ImGui::BeginDisabled(active);
  ImGui::InputText("data", f.data, sizeof f.data);
  ImGui::SameLine();
  if (ImGui::SmallButton("...##data")) {
    app.open_file_browser(BrowseTarget::TrainingData);
  }
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("fashion-mnist, a folder of images, or one image; drop a folder here");
  const auto& presets = all_presets();
  if (ImGui::BeginCombo("preset", f.preset.c_str())) {
    for (size_t i = 0; i < presets.size(); ++i) {
      if (ImGui::Selectable(presets[i].name.c_str(), f.preset == presets[i].name))
        app.apply_preset(presets[i].name);
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", presets[i].description.c_str());
    }
    ImGui::EndCombo();
  }
  ImGui::SliderFloat("mask ratio", &f.mask_ratio, 0.05f, 0.95f, "%.2f",
                     ImGuiSliderFlags_AlwaysClamp);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("fraction of patches removed in training (the paper: 0.75)");
  strategy_combo("strategy", &f.strategy);
  // What the fields show is what a run gets: a typed 0 or less becomes the least allowed.
  if (ImGui::InputInt("batch", &f.batch, 16, 64)) f.batch = std::max(1, f.batch);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("images per micro-batch, what memory must hold");
  if (ImGui::InputInt("accumulate", &f.accum_steps, 1, 4))
    f.accum_steps = std::clamp(f.accum_steps, 1, static_cast<int>(TrainConfig::kMaxAccumSteps));
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip(
        "micro-batches per optimizer step: a step sees batch x this = %d images, with the "
        "memory of one batch",
        f.batch * f.accum_steps);
  if (!active) {
    const auto memory = app.training_memory_note();
    if (memory.fits) {
      ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    } else {
      push_problem_colour();
    }
    text_wrapped("%s%s", memory.text.c_str(),
                 memory.fits ? ""
                             : ": too much, lower the batch (accumulate keeps the "
                               "images per step)");
    ImGui::PopStyleColor();
  }
  ImGui::InputFloat("base lr", &f.base_lr, 0, 0, "%.2e");
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip(
        "learning rate per 256 images: peak lr = base lr x batch x accumulate / 256 = %.2e",
        static_cast<double>(f.base_lr) * f.batch * f.accum_steps / 256.0);
  int steps = f.steps;
  if (ImGui::InputInt("steps", &steps, 100, 1000)) app.set_training_steps(steps);
  if (ImGui::InputInt("warmup steps", &f.warmup_steps, 10, 100))
    f.warmup_steps = std::clamp(f.warmup_steps, 0, f.steps);
  ImGui::SliderFloat("crop min scale", &f.crop_min, 0.05f, 1.0f, "%.2f",
                     ImGuiSliderFlags_AlwaysClamp);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("RandomResizedCrop keeps between this fraction and all of each picture");
  ImGui::Checkbox("norm_pix_loss", &f.norm_pix);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip(
        "predict each patch normalised by its own mean and spread (the paper's\n"
        "choice for ViTs: better features, pictures need visible-patch statistics)");
  if (ImGui::BeginCombo("device", f.device == ComputeDevice::Cuda ? "cuda" : "cpu")) {
    // Described when the list opens: the GPU's name and its memory free right now.
    // Each device starts with its better precision: bf16 on a GPU, fp32 on the CPU.
    if (ImGui::Selectable(describe_device("cpu").c_str(), f.device == ComputeDevice::Cpu)) {
      f.device = ComputeDevice::Cpu;
      f.bf16 = false;
    }
    if (cuda_available()) {
      if (ImGui::Selectable(describe_device("cuda").c_str(), f.device == ComputeDevice::Cuda)) {
        f.device = ComputeDevice::Cuda;
        f.bf16 = true;
      }
    } else {
      ImGui::TextDisabled("cuda: no GPU found");
    }
    ImGui::EndCombo();
  }
  ImGui::Checkbox("bf16 autocast", &f.bf16);
  if (ImGui::IsItemHovered()) {
    const auto units = cpu_bf16_units();
    ImGui::SetTooltip(
        "matrix products in bfloat16, the loss and the weights in fp32; the default on a GPU.\n"
        "On the CPU: %s",
        units.empty() ? "this one has no bf16 units, so it may not pay (mae bench tells)"
                      : ("this one has " + units + ", so training is faster with it").c_str());
  }
  ImGui::EndDisabled();
  ImGui::InputText("save to", f.save_path, sizeof f.save_path);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("where Save, Ctrl+S and \"save and quit\" write the run");
  if (const int64_t unsaved = app.unsaved_steps(); unsaved > 0)
    ImGui::TextDisabled("%lld step%s not saved yet", static_cast<long long>(unsaved),
                        unsaved == 1 ? "" : "s");

  ImGui::Separator();
  if (!active) {
    if (ImGui::Button("Start")) app.start_training();
    if (const auto what = app.continuable(); !what.empty()) {
      ImGui::SameLine();
      if (ImGui::Button("Continue")) app.continue_training();
      if (ImGui::IsItemHovered()) {
        if (const int64_t reached = app.continuable_step(); f.steps <= reached)
          ImGui::SetTooltip(
              "go on training %s: set steps above %lld first, the total it goes on to",
              what.c_str(), static_cast<long long>(reached));
        else
          ImGui::SetTooltip(
              "go on training %s up to %d steps, with its recipe and optimizer state\n(a new "
              "total stretches its lr schedule to it, as the authors' --epochs does)",
              what.c_str(), f.steps);
      }
    }
  } else {
    if (ImGui::Button(app.run_state() == SessionState::Paused ? "Resume" : "Pause"))
      app.toggle_pause();
    ImGui::SameLine();
    if (ImGui::Button("Stop")) app.stop_training();
  }
  ImGui::SameLine();
  if (ImGui::Button("Save")) app.save_checkpoint(app.default_save_path());
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("save the run to %s (Ctrl+S)", f.save_path);
  char state_text[48];
  std::snprintf(state_text, sizeof state_text, "(%s)", to_string(app.run_state()).c_str());
  same_line_if_fits(state_text, RowItem::Text);
  ImGui::TextDisabled("%s", state_text);
  // A row of their own, so that they stay put when Start becomes Pause and Stop.
  if (ImGui::SmallButton("Experiments...")) app.show_experiments();
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("train one model per masking ratio and compare them (the paper's Figure 5)");
  same_line_if_fits("Watch run...");
  if (ImGui::SmallButton("Watch run...")) app.open_file_browser(BrowseTarget::RunFolder);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip(
        "follow a folder that `mae train` writes, from another terminal, a shared disk or a\n"
        "distributed run: live curves, and pictures from each checkpoint (--save-every).\n"
        "Read-only. Dropping a run folder on the window does the same.");

  const auto& m = s.last_metrics;
  // The run's own steps and micro-batches, once there is a run: the form may hold the next's.
  const TrainConfig* run = app.run_config();
  const int64_t run_steps = run ? run->total_steps : f.steps;
  const int64_t accum = run ? run->accum_steps : f.accum_steps;
  const int64_t batch = run ? run->batch : f.batch;
  const float total = static_cast<float>(std::max<int64_t>(1, run_steps));
  const SessionState state = app.run_state();
  char overlay[160];
  // On the CPU a step of many micro-batches shows how far it has come.
  const auto done = app.micro_batches_done();
  if (state == SessionState::Preparing && !s.data_stage.empty()) {
    text_wrapped("data: %s", s.data_stage.c_str());
    ImGui::ProgressBar(-1.0f * static_cast<float>(ImGui::GetTime()), ImVec2(-1, 0),
                       "preparing data");
  } else if (!s.have_metrics) {
    // With accumulation the first step is many batches long: say so, and how far it is.
    if (done > 0)
      std::snprintf(overlay, sizeof overlay, "first step: %lld of %lld micro-batches done",
                    static_cast<long long>(done), static_cast<long long>(accum));
    else
      std::snprintf(overlay, sizeof overlay, "first step: %lld micro-batches of %lld",
                    static_cast<long long>(accum), static_cast<long long>(batch));
    ImGui::ProgressBar(static_cast<float>(done) / static_cast<float>(accum) / total, ImVec2(-1, 0),
                       !active     ? "not started"
                       : accum > 1 ? overlay
                                   : "waiting for the first batch");
  } else {
    char within[64] = "";
    if (done > 0)
      std::snprintf(within, sizeof within, "  step %lld: %lld/%lld",
                    static_cast<long long>(m.step + 1), static_cast<long long>(done),
                    static_cast<long long>(accum));
    const double left = (total - static_cast<double>(m.step)) * s.mean_step_ms / 1000.0;
    if (state == SessionState::Running)
      std::snprintf(overlay, sizeof overlay, "%lld / %lld%s  ETA %s",
                    static_cast<long long>(m.step), static_cast<long long>(run_steps), within,
                    format_duration(left).c_str());
    else
      std::snprintf(overlay, sizeof overlay, "%lld / %lld%s  (%s)", static_cast<long long>(m.step),
                    static_cast<long long>(run_steps), within, to_string(state).c_str());
    const double partial =
        static_cast<double>(done) / static_cast<double>(std::max<int64_t>(1, accum));
    ImGui::ProgressBar(static_cast<float>((static_cast<double>(m.step) + partial) / total),
                       ImVec2(-1, 0), overlay);
    ImGui::Text("loss %.4f   lr %.2e", m.loss, m.lr);
    ImGui::Text("%.0f img/s   %.0f ms/step   %.0f MiB%s", m.images_per_sec, m.step_ms,
                static_cast<double>(m.memory_bytes) / (1 << 20), m.graphed ? "   CUDA graph" : "");
    if (s.threads_used > 0) {
      ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
      text_wrapped("steps on %d of %d threads, the fastest beside the other busy work on this CPU",
                   s.threads_used, s.threads_allowed);
      ImGui::PopStyleColor();
    }
    data_wait_line(s);
    cpu_share_note(app);
  }
  if (m.skipped_files > 0) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1, 0.7f, 0.2f, 1));
    text_wrapped("unreadable files skipped %lld times; each is named in the messages",
                 static_cast<long long>(m.skipped_files));
    ImGui::PopStyleColor();
  }
  ImGui::PopItemWidth();
  ImGui::End();
}

}  // namespace mae::studio
