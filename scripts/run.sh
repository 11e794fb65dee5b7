#!/usr/bin/env bash
# Why: the README's run command: set up (if needed), build, and open MAE Studio on its
# built-in default (Fashion-MNIST and the checkpoint shipped in assets/). Arguments go to
# the app (see mae-studio --help). Without a display it runs the app under Xvfb, saves a
# screenshot, and writes the CLI demo's reconstruction strips instead.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
build="${MAE_BUILD:-$root/build}"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec "$build/app/studio/mae-studio" "$@"
fi
out="$root/out/demo"
mkdir -p "$out"
echo "no display: running MAE Studio under Xvfb for 120 frames"
xvfb-run -a -s "-screen 0 1700x1100x24" "$build/app/studio/mae-studio" --frames 120 \
  --screenshot "$out/mae-studio.png" "$@"
mae="$build/app/cli/mae"
ckpt="$root/assets/fmnist-tiny.safetensors"
for r in 0.5 0.75 0.9; do
  "$mae" reconstruct --checkpoint "$ckpt" --image fashion-mnist:test --index 0 --ratio "$r" \
    --out "$out/test-0-ratio-$r.png"
done
"$mae" eval --checkpoint "$ckpt" --data fashion-mnist:test --ratio 0.75 --max-images 2000
echo "screenshot and strips (masked | reconstruction | + visible | original) are in $out"
