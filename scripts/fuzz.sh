#!/usr/bin/env bash
# Why: one entry point for the libFuzzer harnesses in fuzz/ (clang 14, ASan + UBSan).
#   scripts/fuzz.sh build                 configure and build them in build-fuzz/
#   scripts/fuzz.sh smoke [seconds]       every harness for `seconds` (default 15) from its
#                                         seeds, seed 1, in a scratch corpus; what the suite runs
#   scripts/fuzz.sh run <harness> <runs> [seconds]
#                                         a long run that keeps its corpus in the cache folder,
#                                         ending at `runs` executions or after `seconds`
# Every run uses -rss_limit_mb=2048 -timeout=10 and the harness's dictionary.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/build_env.sh"
root="$MAE_ROOT"
build="${MAE_FUZZ_BUILD:-$root/build-fuzz}"
harnesses=(fuzz_image_decode fuzz_safetensors fuzz_unpickler fuzz_torch_archive fuzz_idx
           fuzz_json_configs fuzz_hf_names)

dict_for() {
  case "$1" in
    fuzz_unpickler | fuzz_torch_archive) echo "$root/fuzz/dicts/pickle.dict" ;;
    fuzz_image_decode) echo "$root/fuzz/dicts/images.dict" ;;
    fuzz_hf_names) echo "$root/fuzz/dicts/names.dict" ;;
    *) echo "$root/fuzz/dicts/json.dict" ;;
  esac
}

fuzz_once() {  # fuzz_once <harness> <corpus> <extra libFuzzer flags...>
  local name=$1 corpus=$2
  shift 2
  # One OpenMP thread: torch's pool would otherwise spin on the other cores after each op
  # and slow a second fuzzer running beside this one.
  OMP_NUM_THREADS=1 ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "$build/fuzz/$name" -rss_limit_mb=2048 -timeout=10 -dict="$(dict_for "$name")" \
    -artifact_prefix="$build/crash-$name-" "$@" "$corpus" "$root/fuzz/corpus/$name"
}

case "${1:-}" in
  build)
    use_ccache
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
      -DCMAKE_PREFIX_PATH="$(torch_cmake_prefix)" -DMAE_BUILD_FUZZERS=ON \
      -DMAE_SANITIZE=address,undefined -DMAE_BUILD_APP=OFF -DMAE_BUILD_CLI=OFF \
      -DMAE_BUILD_TESTS=OFF >"$build.configure.log" 2>&1 ||
      { tail -20 "$build.configure.log"; exit 1; }
    cmake --build "$build" --target "${harnesses[@]}" -- -j"$(nproc)"
    ;;
  smoke)
    seconds=${2:-15}
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' EXIT
    for name in "${harnesses[@]}"; do
      [ -x "$build/fuzz/$name" ] || { echo "fuzz: $name is not built (scripts/fuzz.sh build)"; exit 1; }
      mkdir -p "$scratch/$name"
      # A fixed seed: the suite's verdict must not depend on the draw (long runs explore).
      if ! fuzz_once "$name" "$scratch/$name" -seed=1 -max_total_time="$seconds" -print_final_stats=1 \
        >"$scratch/$name.log" 2>&1; then
        tail -40 "$scratch/$name.log"
        echo "fuzz: $name FAILED"
        exit 1
      fi
      runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$scratch/$name.log" | grep -o '[0-9]*$')
      echo "fuzz: $name clean, $runs executions in ${seconds}s"
    done
    ;;
  run)
    name=${2:?harness name}
    runs=${3:-10000000}
    seconds=${4:-0}
    mkdir -p "$MAE_CACHE/fuzz-corpus/$name"
    fuzz_once "$name" "$MAE_CACHE/fuzz-corpus/$name" -runs="$runs" -max_total_time="$seconds" \
      -print_final_stats=1
    ;;
  *)
    sed -n '2,9p' "$0"
    exit 2
    ;;
esac
