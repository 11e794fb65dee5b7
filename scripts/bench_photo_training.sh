#!/usr/bin/env bash
# Why: "does training on photos run as fast as the model can?" is a ratio that must be
# measured side by side: this alternates `mae bench` (synthetic batches, no data pipeline)
# and `mae train` on a photo folder (steps after the first one, which waits for the first
# batch) and prints both and their ratio per round.
# Usage: scripts/bench_photo_training.sh FOLDER [PRESET] [ROUNDS] [STEPS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mae="${MAE_BUILD:-$root/build}/app/cli/mae"
folder="$1"
preset="${2:-rgb-small}"
rounds="${3:-3}"
steps="${4:-30}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
batch="$("$mae" bench-data --data "$folder" --preset "$preset" --batches 1 --json |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["batch"])')"
for round in $(seq "$rounds"); do
  bench="$("$mae" bench --preset "$preset" --batch "$batch" --steps 10 --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["train_images_per_sec"])')"
  "$mae" train --data "$folder" --preset "$preset" --steps "$steps" --out "$out/run" 2>/dev/null
  python3 - "$out/run/metrics.jsonl" "$bench" "$round" <<'PY'
import json, statistics, sys
steps = [json.loads(line) for line in open(sys.argv[1])]
train = statistics.median(s["images_per_sec"] for s in steps[1:])
bench = float(sys.argv[2])
print(f"round {sys.argv[3]}: mae bench {bench:.1f} img/s, mae train on photos {train:.1f} img/s "
      f"(median of steps 2-{len(steps)}), ratio {train / bench:.3f}")
PY
done
