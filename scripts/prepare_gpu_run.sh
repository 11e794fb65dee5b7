#!/usr/bin/env bash
# Why: a borrowed GPU machine gives one run of about nine minutes, and building the project
# there from source takes four of them. The same torch 2.11.0+cu130 wheel is installed on
# both machines, so the binaries are built here instead, configured as that machine would
# (carried .deps, no pkg-config, Hopper), and carried in .deps/prebuilt with a hash of the
# sources they came from; scripts/gpu_check.sh uses them when the hash matches and they
# start, and builds there otherwise. Run this, then the device tool with carry [".deps"]
# and command "bash scripts/gpu_check.sh".
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/build_env.sh"
root="$MAE_ROOT"
cd "$root"
bash scripts/vendor_deps.sh
use_ccache
# Hashed before the build: a source edited while it builds would otherwise be named by a hash
# of sources its binaries were not built from.
sources=$(bash scripts/source_hash.sh)
build="${MAE_PREBUILT_BUILD_DIR:-$root/build-gpu-prebuilt}"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$(torch_cmake_prefix)" \
  -DMAE_DEPS_DIR="$root/.deps" -DCMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON \
  -DTORCH_CUDA_ARCH_LIST=9.0 >/dev/null
cmake --build "$build" --target mae cuda_tests mae_tests studio_tests -- -j"$(nproc)"
prebuilt="$root/.deps/prebuilt"
rm -rf "$prebuilt"
mkdir -p "$prebuilt"
cp "$build/app/cli/mae" "$build"/tests/{cuda_tests,mae_tests,studio_tests} "$build"/core/libmae_*.so \
  "$prebuilt/"
if [ "$(bash scripts/source_hash.sh)" != "$sources" ]; then
  echo "prepare_gpu_run: the sources changed while they were built; run it again" >&2
  exit 1
fi
echo "$sources" > "$prebuilt/SOURCE_HASH"
echo "prebuilt binaries in $prebuilt ($(du -sh "$prebuilt" | cut -f1)), sources $(cat "$prebuilt/SOURCE_HASH")"
