#!/usr/bin/env bash
# Why: one idempotent entry point that brings a fresh Debian 12 machine to a built tree.
# It installs only what is missing (Debian packages, the pinned LibTorch from the PyPI
# torch wheel in a cache outside the checkout), then configures and builds with ccache.
# Sourced by run.sh and test.sh; a second run costs seconds.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/build_env.sh"
MAE_TRANSFORMERS_VERSION=4.57.1  # for the parity tests against Hugging Face's ViTMAE
MAE_BUILD="${MAE_BUILD:-$MAE_ROOT/build}"
DEB_PACKAGES=(cmake ninja-build g++ ccache pkg-config libglfw3-dev libimgui-dev python3-glad
  libstb-dev libturbojpeg0-dev libwebp-dev libtiff-dev libdeflate-dev zlib1g-dev libgloo-dev
  clang-14 libclang-rt-14-dev llvm-14 doctest-dev nlohmann-json3-dev libcli11-dev xvfb xauth
  dataset-fashion-mnist python3-venv)

log() { printf '[setup] %s\n' "$*" >&2; }

install_debian_packages() {
  local missing=()
  for p in "${DEB_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

install_torch() {
  if [ -f "$MAE_VENV/.complete" ]; then return 0; fi
  log "installing torch==$MAE_TORCH_VERSION into $MAE_VENV (once; about 3 GB)"
  mkdir -p "$MAE_CACHE"
  python3 -m venv "$MAE_VENV"
  "$MAE_VENV/bin/pip" install -q --disable-pip-version-check "torch==$MAE_TORCH_VERSION"
  local abi
  abi=$("$MAE_VENV/bin/python" -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')
  if [ "$abi" != "1" ]; then
    log "error: torch was built with _GLIBCXX_USE_CXX11_ABI=$abi; our build needs 1"
    exit 1
  fi
  touch "$MAE_VENV/.complete"
}

install_parity_packages() {
  local marker="$MAE_VENV/.transformers-$MAE_TRANSFORMERS_VERSION"
  if [ -f "$marker" ]; then return 0; fi
  log "installing transformers==$MAE_TRANSFORMERS_VERSION into $MAE_VENV (once)"
  "$MAE_VENV/bin/pip" install -q --disable-pip-version-check \
    "transformers==$MAE_TRANSFORMERS_VERSION" numpy
  touch "$marker"
}

configure_and_build() {
  use_ccache
  if [ ! -f "$MAE_BUILD/build.ninja" ]; then
    log "configuring $MAE_BUILD"
    cmake -S "$MAE_ROOT" -B "$MAE_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$(torch_cmake_prefix)" -DMAE_PYTHON="$MAE_VENV/bin/python" >/dev/null
  fi
  log "building"
  cmake --build "$MAE_BUILD" -- -j"$(nproc)"
}

install_debian_packages
install_torch
install_parity_packages
configure_and_build
