#!/usr/bin/env bash
# Why: one prepared run on a borrowed GPU machine (CUDA 13, torch 2.11 in python3, CMake,
# ninja; no Debian packages, no network), which gives one call of at most ten minutes and
# brings back at most eight files. So the stages run most valuable first, each under the
# time left of a budget that ends before the call's limit, a stage that would not fit is
# skipped with a line saying so, and everything lands in two files: summary.txt (also
# printed) and logs.tar.gz, refreshed after every stage.
# Here, first: scripts/prepare_gpu_run.sh (the carried .deps and the prebuilt binaries);
# then the device tool with carry [".deps"], timeout_s 600 and "bash scripts/gpu_check.sh".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export GPU_CHECK_OUT="${OUT:-$root/out/gpu}"
export GPU_CHECK_LOGS="${GPU_CHECK_LOGS:-/tmp/gpu_check_logs}"
budget_s="${GPU_CHECK_BUDGET_S:-540}"
mkdir -p "$GPU_CHECK_OUT" "$GPU_CHECK_LOGS"
rm -f "$GPU_CHECK_LOGS/unfused" "$GPU_CHECK_LOGS/bench_fails"  # a run before this one's, if any
summary="$GPU_CHECK_OUT/summary.txt"
: >"$summary"
export PYTHONUNBUFFERED=1
# No Debian dataset package there: the carried copy (scripts/vendor_deps.sh).
[ -d "$root/.deps/fashion-mnist" ] && export MAE_FASHION_MNIST_DIR="$root/.deps/fashion-mnist"
torch_lib=$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
export GPU_CHECK_TORCH_PREFIX=$(python3 -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')

say() { echo "$*" | tee -a "$summary"; }
# Stages that time `mae bench`, skipped when it fails whatever fusions are left out, so that the
# budget goes to those that can still tell something (a stop-48 run spent 3 minutes on them).
needs_bench="hf_vit_b16 hf_vit_b16_compiled profile_vit_b16 fusions_ab attention_ab more_benches hf_vit_l16"
pack() { tar czf "$GPU_CHECK_OUT/logs.tar.gz" -C "$(dirname "$GPU_CHECK_LOGS")" \
  "$(basename "$GPU_CHECK_LOGS")" 2>/dev/null; }
# stage NAME SECONDS_NEEDED FUNCTION [CAP_SECONDS]: runs the function under the time left (at
# most CAP_SECONDS), or skips it. GPU_CHECK_STAGES (names, comma-separated) runs only those, for
# a second, shorter run on what little device time is left after a first.
stage() {
  local name=$1 need=$2 fn=$3 left=$((budget_s - SECONDS)) t0=$SECONDS rc
  local limit=$((${4:-$left} < left ? ${4:-$left} : left))
  if [ -n "${GPU_CHECK_STAGES:-}" ] && [[ ",$GPU_CHECK_STAGES," != *",$name,"* ]]; then return 0; fi
  if [ -f "$GPU_CHECK_LOGS/bench_fails" ] && [[ " $needs_bench " == *" $name "* ]]; then
    say "SKIPPED $name: mae bench fails here (fusion_probe above), and it needs it"
    return 0
  fi
  if ((left < need)); then
    say "SKIPPED $name: ${left}s of the budget left, it needs about ${need}s"
    return 0
  fi
  timeout --kill-after=5 "$limit" bash -o pipefail -c "$fn" >"$GPU_CHECK_LOGS/$name.txt" 2>&1
  rc=$?
  say "== $name: exit $rc in $((SECONDS - t0))s"
  grep -E "FIGURE|MESSAGE:|ERROR:|FAILED|error:|test cases|tests passed|tests failed" \
    "$GPU_CHECK_LOGS/$name.txt" | head -40 | tee -a "$summary"
  if ((rc != 0)); then tail -3 "$GPU_CHECK_LOGS/$name.txt" | sed 's/^/   | /' | tee -a "$summary"; fi
  pack
  return 0
}

say "gpu_check on $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1)"
say "torch $(python3 -c 'import torch; print(torch.__version__, torch.version.cuda)'), $(nproc) cores"

# The binaries: the carried ones when they were built from these sources and start here,
# else the GPU targets built here now (the rest of the build comes last).
prebuilt="$root/.deps/prebuilt"
prebuilt_libs="$prebuilt:$root/.deps/turbojpeg:$root/.deps/webp:$root/.deps/tiff:$root/.deps/deflate:$root/.deps/zlib:$torch_lib"
for library in liblzma.so.5 libzstd.so.1; do  # libtiff's: the system's own where it has them
  if ! ldconfig -p 2>/dev/null | grep -q "$library"; then
    prebuilt_libs="$prebuilt_libs:$root/.deps/tiff/common"
    break
  fi
done
if [ ! -f "$prebuilt/SOURCE_HASH" ]; then
  why="none carried"
elif [ "$(cat "$prebuilt/SOURCE_HASH")" != "$(bash scripts/source_hash.sh)" ]; then
  why="built from other sources"
elif ! LD_LIBRARY_PATH="$prebuilt_libs" "$prebuilt/mae" info --device \
  >"$GPU_CHECK_LOGS/prebuilt_probe.txt" 2>&1; then
  why="they do not start: $(tail -1 "$GPU_CHECK_LOGS/prebuilt_probe.txt")"
else
  why=""
fi
if [ -z "$why" ]; then
  export GPU_CHECK_PREBUILT=1 GPU_CHECK_MAE="$prebuilt/mae" GPU_CHECK_TESTS="$prebuilt"
  export LD_LIBRARY_PATH="$prebuilt_libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  say "binaries: prebuilt from these sources ($(cat "$prebuilt/SOURCE_HASH")); $(head -1 "$GPU_CHECK_LOGS/prebuilt_probe.txt")"
else
  export GPU_CHECK_PREBUILT=0 GPU_CHECK_MAE="$root/build-gpu/app/cli/mae"
  export GPU_CHECK_TESTS="$root/build-gpu/tests"
  say "binaries: built here (prebuilt ones: $why)"
fi
export root

configure() {
  cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$GPU_CHECK_TORCH_PREFIX" -DMAE_DEPS_DIR="$root/.deps" \
    -DCMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON -DTORCH_CUDA_ARCH_LIST=9.0
}
build_gpu_targets() { configure && cmake --build build-gpu --target mae cuda_tests studio_tests -- -j"$(nproc)"; }
build_all() { configure && cmake --build build-gpu -- -j"$(nproc)"; }
# CPU/CUDA agreement, the GPU fusions against torch's ops, fused AdamW on CUDA, no host sync inside a step (sync-debug mode),
# uint8 batches normalized on the GPU, packed crops resized there, a step's loss read a step
# late with no sync, graphed step = eager step, a thread's own stream.
cuda_tests() { "$GPU_CHECK_TESTS/cuda_tests" -s; }
# The goal figures: ViT-B/16 training against Hugging Face's eager variants (default AdamW,
# fused, eager attention), alternating, with utilisation; ours' full bench line (slider,
# graph) too. Against torch.compile later, capped: its compilation takes minutes of its own.
hf_vit_b16() { python3 scripts/bench_vs_hf.py "$GPU_CHECK_MAE" vit-b16 128 --device cuda --rounds 2 \
  --steps 8 --warmup 3 --figures; }
hf_vit_b16_compiled() { python3 scripts/bench_vs_hf.py "$GPU_CHECK_MAE" vit-b16 128 --device cuda \
  --rounds 2 --steps 8 --warmup 3 --variants fused --compile --figures; }
hf_vit_l16() { python3 scripts/bench_vs_hf.py "$GPU_CHECK_MAE" vit-l16 64 --device cuda --rounds 2 \
  --steps 6 --warmup 2 --figures; }
# What each GPU fusion gives a ViT-B/16 step (gpu_fusions.h): the bench with all, with none,
# and without each in turn (MAE_UNFUSED), alternating, two rounds.
fusions_ab() {
  local mae round unfused; mae=$GPU_CHECK_MAE
  for round in 1 2; do
    for unfused in "" all norm casts bias qkv gelu; do
      echo "FIGURE round $round, MAE_UNFUSED=$unfused"
      MAE_UNFUSED=$unfused "$mae" bench --preset vit-b16 --batch 128 --device cuda --steps 8 \
        --warmup 3 2>&1 | grep -E "train|graph|fusions|rror" | sed 's/^/FIGURE   /'
    done
  done
}
# Should a step with every GPU fusion fail to run here, the fusions whose absence lets it run
# are named in $GPU_CHECK_LOGS/unfused, and the stages after this one leave them out
# (MAE_UNFUSED), so that they still measure; fusions_ab times each regardless.
fusion_probe() {
  local fusion bad=""
  probe() { "$GPU_CHECK_MAE" bench --preset vit-b16 --batch 16 --device cuda --steps 2 --warmup 1; }
  if probe >/dev/null 2>&1; then
    echo "FIGURE a step with every GPU fusion runs"
    return 0
  fi
  probe 2>&1 | tail -2 | sed 's/^/FIGURE   /'
  for fusion in norm casts bias qkv gelu; do
    MAE_UNFUSED=$fusion probe >/dev/null 2>&1 && bad="$bad${bad:+,}$fusion"
  done
  echo "FIGURE a step with every GPU fusion fails; it runs without: ${bad:-none of them alone}"
  [ -n "$bad" ] && echo "$bad" >"$GPU_CHECK_LOGS/unfused"
  [ -z "$bad" ] && : >"$GPU_CHECK_LOGS/bench_fails"
  return 1
}
# Which attention kernel suits ViT-B/16's short sequences (gpu_attention_kernels.h): the bench
# with torch's choice, then with each kernel put first, then torch's again; with each, the
# profiled step's attention kernels (the encoder's 12 calls and the decoder's 8 in one line);
# and the fastest of them, which a second, short run can time against Hugging Face
# (MAE_ATTENTION=<it> GPU_CHECK_STAGES=hf_vit_b16).
attention_ab() {
  local kernels name log rates="$GPU_CHECK_LOGS/attention_rates"
  : >"$rates"
  for kernels in "" flash efficient cudnn math ""; do
    name=${kernels:-torch-order}
    log="$GPU_CHECK_LOGS/attention-$name.log"
    echo "FIGURE MAE_ATTENTION=$kernels"
    MAE_ATTENTION=$kernels "$GPU_CHECK_MAE" bench --preset vit-b16 --batch 128 --device cuda \
      --steps 8 --warmup 3 --profile >"$log" 2>&1
    grep -E "train|graph|rror|sdpa|flash|fmha|softmax|attention" "$log" | cut -c1-220 |
      sed 's/^/FIGURE   /'
    awk -v name="$name" '$1 == "train" { print $2, name }' "$log" >>"$rates"
  done
  sort -rn "$rates" | head -1 | awk '{ print "FIGURE fastest: " $2 ", " $1 " img/s" }'
}
# The studio's UI logic, headless: slider latency and frame times while a run trains on the
# GPU beside the inference worker; and the worker holding a run's weights until its stream
# has read them (ba59287's fix, which no GPU has run yet).
studio_on_gpu() {
  "$GPU_CHECK_TESTS/studio_tests" -tc="while a run trains*,weights handed over are read*" -s
}
# Slider latency for ViT-L/16, ViT-B/16 at twice the batch (does utilisation grow with it?),
# and what the CUDA graph gives a large and a small model.
more_benches() {
  local mae; mae=$GPU_CHECK_MAE
  for args in "--preset vit-l16 --batch 64" "--preset vit-b16 --batch 256" \
    "--preset vit-b16 --batch 128 --no-cuda-graphs" \
    "--preset fmnist-tiny --batch 1024" "--preset fmnist-tiny --batch 1024 --no-cuda-graphs"; do
    echo "FIGURE mae bench $args"
    "$mae" bench $args --device cuda --steps 10 --warmup 3 | sed 's/^/FIGURE   /'
  done
}
# What limits a ViT-B/16 step: GPU kernels by time and host ops by self time.
profile_vit_b16() {
  "$GPU_CHECK_MAE" bench --preset vit-b16 --batch 128 --device cuda --steps 3 --warmup 3 --profile \
    --profile-trace "$GPU_CHECK_LOGS/vit-b16-step.trace.json" | sed 's/^/FIGURE /' &&
    gzip -f "$GPU_CHECK_LOGS"/*.trace.json
}
# 48 made-up 2400x1600 JPEGs in /tmp/gpu_check_photos, once, for whichever stage needs them
# first (a crop costs the same whatever the picture shows); a folder left half made by a
# failed try is made again, as its last picture is missing.
make_photos() {
  [ -f /tmp/gpu_check_photos/p47.jpg ] && return 0
  python3 - <<'PY'
import os
import numpy as np
from PIL import Image
folder = "/tmp/gpu_check_photos"
os.makedirs(folder, exist_ok=True)
rng = np.random.default_rng(0)
for i in range(48):
    coarse = Image.fromarray(rng.integers(0, 256, (12, 18, 3), dtype=np.uint8))
    coarse.resize((2400, 1600), Image.BICUBIC).save(f"{folder}/p{i:02d}.jpg", quality=90)
PY
}
# Whether the CPU's crops keep up with ViT-B/16 training on the GPU: the loader's warm rate
# on this machine's cores, from the made-up photos; and, for --crops-on-device, the loader
# packing crop regions and the GPU resizing them.
loader_rate() {
  make_photos || return 1
  "$GPU_CHECK_MAE" bench-data --data /tmp/gpu_check_photos --preset vit-b16 --batch 128 \
    --batches 10 --workers "$(($(nproc) - 1))" --crops-on-device | sed 's/^/FIGURE /'
}
# The trainer end to end on CUDA, graphed and eager, without the GPU fusions (its loss beside
# the fused one's), through NCCL (one rank per GPU), and on
# made-up photos (loader_rate's) with the crops resized on the GPU.
train_runs() {
  local mae rc=0 log name status; mae=$GPU_CHECK_MAE
  for name in graphed eager unfused nccl photo-crops; do
    log="$GPU_CHECK_LOGS/train-$name.log"
    case $name in
      graphed) "$mae" train --preset fmnist-tiny --batch 512 --steps 60 --log-every 20 \
        --out /tmp/gpu_check_train >"$log" 2>&1 ;;
      eager) "$mae" train --preset fmnist-tiny --batch 512 --steps 60 --log-every 20 \
        --no-cuda-graphs --out /tmp/gpu_check_train_eager >"$log" 2>&1 ;;
      unfused) MAE_UNFUSED=all "$mae" train --preset fmnist-tiny --batch 512 --steps 60 \
        --log-every 20 --out /tmp/gpu_check_train_unfused >"$log" 2>&1 ;;
      nccl) "$mae" train --gpus "$(nvidia-smi -L | wc -l)" --preset fmnist-tiny --batch 256 \
        --steps 50 --log-every 10 --out /tmp/gpu_check_nccl >"$log" 2>&1 ;;
      photo-crops)
        if ! make_photos >"$log" 2>&1; then
          echo "FIGURE train $name: not run, the photos could not be made"
          continue
        fi
        "$mae" train --data /tmp/gpu_check_photos --preset rgb-small --batch 256 --steps 40 \
        --log-every 10 --crops-on-device --out /tmp/gpu_check_crops >"$log" 2>&1 ;;
    esac
    status=$?
    echo "FIGURE train $name: exit $status"
    [ "$status" = 0 ] || rc=1
    tr '\r' '\n' <"$log" | grep -E "CUDA graph|rror|waited for data" | head -3 | sed 's/^/FIGURE   /'
    tr '\r' '\n' <"$log" | grep "img/s" | tail -1 | sed 's/^/FIGURE   /'
  done
  return $rc
}
# The CPU suite. Prebuilt: the doctest programs themselves; built here: all of ctest except
# fuzz.smoke (no libFuzzer there) and the CUDA checks, which ran above.
cpu_suite() {
  if ((GPU_CHECK_PREBUILT == 0)); then
    (cd build-gpu && ctest --output-on-failure -j8 -E '^(fuzz\.smoke|gpu\.cuda_checks)$')
  else
    local rc=0
    MAE_CLI_PATH="$GPU_CHECK_MAE" "$GPU_CHECK_TESTS/mae_tests" || rc=1
    "$GPU_CHECK_TESTS/studio_tests" || rc=1
    return $rc
  fi
}
export -f make_photos configure build_gpu_targets build_all cuda_tests fusion_probe fusions_ab attention_ab hf_vit_b16 hf_vit_b16_compiled hf_vit_l16 studio_on_gpu \
  more_benches loader_rate profile_vit_b16 train_runs cpu_suite

if ((GPU_CHECK_PREBUILT == 0)); then stage build_gpu_targets 240 build_gpu_targets; fi
stage cuda_tests 60 cuda_tests
stage fusion_probe 40 fusion_probe
if [ -s "$GPU_CHECK_LOGS/unfused" ]; then
  export MAE_UNFUSED="$(cat "$GPU_CHECK_LOGS/unfused")"
  say "the stages below run with MAE_UNFUSED=$MAE_UNFUSED"
fi
# The goal figures and what limits them first: the stages after them grew past the budget
# (each fusion and attention kernel timed), and what does not fit is skipped.
stage hf_vit_b16 90 hf_vit_b16
stage hf_vit_b16_compiled 120 hf_vit_b16_compiled 200
stage profile_vit_b16 40 profile_vit_b16
stage fusions_ab 70 fusions_ab
stage attention_ab 50 attention_ab
if ((GPU_CHECK_PREBUILT == 0)); then stage build_all 120 build_all; fi
stage train_runs 75 train_runs
stage studio_on_gpu 60 studio_on_gpu
stage more_benches 90 more_benches
stage hf_vit_l16 90 hf_vit_l16
stage loader_rate 50 loader_rate
stage cpu_suite 150 cpu_suite
# That the sources also build there, when the prebuilt binaries were used and time is left.
if ((GPU_CHECK_PREBUILT == 1)); then stage build_all 240 build_all; fi
say "gpu_check done in ${SECONDS}s of a ${budget_s}s budget"
pack
