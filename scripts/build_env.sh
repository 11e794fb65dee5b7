# Why: every script that builds or runs against LibTorch needs the same few things: where the
# cache and the pinned torch live, torch's CMake prefix, and ccache set up so that fresh
# clones and side builds share one cache. Sourced (not run) by setup.sh, sanitize.sh,
# fuzz.sh, prepare_gpu_run.sh and dist_demo.sh, so the torch version is written once.
MAE_TORCH_VERSION=2.11.0
MAE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MAE_CACHE="${MAE_CACHE:-$HOME/.cache/mae-studio}"
MAE_VENV="$MAE_CACHE/torch-$MAE_TORCH_VERSION"

torch_cmake_prefix() {
  "$MAE_VENV/bin/python" -c 'import torch.utils; print(torch.utils.cmake_prefix_path)'
}

use_ccache() {
  export CCACHE_DIR="${CCACHE_DIR:-$MAE_CACHE/ccache}"
  export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
  export CCACHE_MAXSIZE=5G
  export CCACHE_BASEDIR="$MAE_ROOT"  # relative paths: a fresh clone reuses the cache
}
