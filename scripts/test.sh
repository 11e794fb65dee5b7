#!/usr/bin/env bash
# Why: the README's test command: set up (if needed), build, and run the whole suite.
# A display is provided by Xvfb so GUI tests run on headless machines and CI alike.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/fuzz.sh" build
cd "${MAE_BUILD:-$root/build}"
if [ -z "${DISPLAY:-}" ] && command -v xvfb-run >/dev/null; then
  exec xvfb-run -a ctest --output-on-failure -j2 "$@"
fi
exec ctest --output-on-failure -j2 "$@"
