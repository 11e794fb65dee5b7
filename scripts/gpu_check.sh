#!/usr/bin/env bash
# Why: one prepared run on a borrowed GPU machine (CUDA 13, torch 2.11, CMake, ninja, no
# Debian packages, no network): build core + CLI + tests against the machine's torch with
# the carried .deps/, run the suite, benchmark, and train through NCCL. Figures land in $OUT.
# Here, first: scripts/vendor_deps.sh; then run it through the device tool with
# carry [".deps"] and command "bash scripts/gpu_check.sh".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${OUT:-$root/out/gpu}"
mkdir -p "$out"
cd "$root"
# No Debian dataset package there: the carried copy (scripts/vendor_deps.sh).
[ -d "$root/.deps/fashion-mnist" ] && export MAE_FASHION_MNIST_DIR="$root/.deps/fashion-mnist"
nvidia-smi > "$out/nvidia-smi.txt" 2>&1
prefix=$(python3 -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')
python3 -c 'import torch; print(torch.__version__, torch.version.cuda)' > "$out/torch.txt"
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
  -DMAE_DEPS_DIR="$root/.deps" -DTORCH_CUDA_ARCH_LIST=9.0 > "$out/configure.txt" 2>&1 ||
  { tail -30 "$out/configure.txt"; exit 1; }
cmake --build build-gpu -j"$(nproc)" > "$out/build.txt" 2>&1 || { tail -40 "$out/build.txt"; exit 1; }
# fuzz.smoke is left out (the fuzzers need clang's libFuzzer, which that machine lacks), and
# so is gpu.cuda_checks, which runs next on its own with its messages.
(cd build-gpu &&
  ctest --output-on-failure -j4 -E '^(fuzz\.smoke|gpu\.cuda_checks)$' > "$out/ctest.txt" 2>&1)
tail -3 "$out/ctest.txt"
# CPU/CUDA agreement, fused AdamW on CUDA, no host sync inside a step (sync-debug mode),
# uint8 batches normalized on the GPU, a step's loss read a step late with no sync, graphed
# step = eager step, a thread's own stream.
build-gpu/tests/cuda_tests -s > "$out/cuda_tests.txt" 2>&1
echo "cuda_tests: exit $?"; grep -E "MESSAGE|ERROR|test cases" "$out/cuda_tests.txt" | head -20
# The studio's UI logic, headless (no GL here): slider latency and frame times while a run
# trains on the GPU beside the inference worker.
build-gpu/tests/studio_tests -tc="while a run trains*" -s > "$out/studio_gpu.txt" 2>&1
echo "studio_tests (training on the GPU): exit $?"; grep -E "MESSAGE|ERROR" "$out/studio_gpu.txt" | head -5
mae=build-gpu/app/cli/mae
for args in "--preset vit-b16 --batch 128" "--preset vit-b16 --batch 128 --no-cuda-graphs" \
            "--preset vit-b16 --batch 128 --fp32" "--preset vit-l16 --batch 64" \
            "--preset fmnist-tiny --batch 1024" "--preset fmnist-tiny --batch 1024 --no-cuda-graphs"; do
  name=$(echo "$args" | tr -d '-' | tr ' ' '_')
  $mae bench $args --device cuda --steps 10 --warmup 3 --json > "$out/bench_$name.json" 2>&1
  cat "$out/bench_$name.json"
done
# What limits a ViT-B/16 step: GPU kernels by time and host ops by self time, eager and graphed.
for graphs in "" "--no-cuda-graphs"; do
  $mae bench --preset vit-b16 --batch 128 --device cuda --steps 3 --warmup 3 $graphs --profile \
    --profile-trace "$out/vit-b16-step${graphs:+-eager}.trace.json" \
    > "$out/profile_vit-b16${graphs:+-eager}.txt" 2>&1
  head -40 "$out/profile_vit-b16${graphs:+-eager}.txt"
done
gzip -f "$out"/*.trace.json 2>/dev/null
# The trainer end to end on CUDA, with and without the step captured as a graph.
for graphs in "" "--no-cuda-graphs"; do
  $mae train --preset fmnist-tiny --batch 512 --steps 60 --log-every 20 $graphs \
    --out "$out/train${graphs:+-eager}" > "$out/train${graphs:+-eager}.txt" 2>&1
  echo "mae train ${graphs:-(graphed)}: exit $?"; grep -E "CUDA graph|img/s" "$out/train${graphs:+-eager}.txt" | tail -3
done
# Side by side with Hugging Face (default AdamW, fused AdamW, torch.compile), alternating.
python3 scripts/bench_vs_hf.py $mae vit-b16 128 --device cuda --rounds 2 --compile \
  > "$out/vs_hf_vit-b16.json" 2>"$out/vs_hf_vit-b16.err"; cat "$out/vs_hf_vit-b16.json"
python3 scripts/bench_vs_hf.py $mae vit-l16 64 --device cuda --rounds 2 \
  > "$out/vs_hf_vit-l16.json" 2>"$out/vs_hf_vit-l16.err"; cat "$out/vs_hf_vit-l16.json"
# NCCL: one rank per GPU through the local launcher (a 1-GPU machine runs a 1-rank group).
gpus=$(nvidia-smi -L 2>/dev/null | wc -l)
$mae train --gpus "$gpus" --preset fmnist-tiny --batch 256 --steps 50 --log-every 10 \
  --out "$out/nccl-run" > "$out/nccl.txt" 2>&1
echo "NCCL run on $gpus GPU(s): exit $?"; tail -3 "$out/nccl.txt"
