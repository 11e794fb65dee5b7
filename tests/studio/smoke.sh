#!/usr/bin/env bash
# Why: the real app binary in a real window (Xvfb): it opens the shipped checkpoint, trains
# a few steps, moves the ratio, saves a screenshot, and we check the picture is not blank
# and that the Live triplets panel holds images.
set -euo pipefail
studio="$(realpath "$1")"
here="$(cd "$(dirname "$0")" && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"  # the run's curve goes to the default "save to" folder, runs/studio, a relative one
run=("$studio" --train-steps 25 --ratio 0.9 --frames 300 --screenshot "$work/shot.png"
     --report "$work/report.json" --frame-stats "$work/frames.json" --config-dir "$work/cfg")
if [ -z "${DISPLAY:-}" ]; then xvfb-run -a -s "-screen 0 1700x1100x24" "${run[@]}"; else "${run[@]}"; fi
cat "$work/report.json"
python3 "$here/check_screenshot.py" "$work/shot.png" "$work/report.json"
test -s "$work/cfg/imgui.ini" || { echo "FAIL: window layout not saved"; exit 1; }
echo "studio smoke test: passed"
