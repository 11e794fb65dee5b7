#!/usr/bin/env bash
# Why: the README's run command: set up (if needed), build, and show MAE at work on the
# built-in default (Fashion-MNIST and the checkpoint shipped in assets/). Until the desktop
# app lands this runs the CLI demo: reconstructions at several ratios and the eval table.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
mae="${MAE_BUILD:-$root/build}/app/cli/mae"
ckpt="$root/assets/fmnist-tiny.safetensors"
out="$root/out/demo"
mkdir -p "$out"
"$mae" info "$ckpt"
for i in 0 1 2 3; do
  "$mae" reconstruct --checkpoint "$ckpt" --image fashion-mnist:test --index "$i" --ratio 0.75 \
    --seed "$i" --out "$out/test-$i-ratio-0.75.png"
done
for r in 0.5 0.85 0.95; do
  "$mae" reconstruct --checkpoint "$ckpt" --image fashion-mnist:test --index 0 --ratio "$r" \
    --seed 0 --out "$out/test-0-ratio-$r.png"
done
"$mae" eval --checkpoint "$ckpt" --data fashion-mnist:test --ratio 0.75 --max-images 2000
echo "strips (masked | reconstruction | reconstruction + visible | original) are in $out"
