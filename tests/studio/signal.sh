#!/usr/bin/env bash
# Why: Ctrl+C in the terminal, or SIGTERM when a session ends, used to end the app on the
# spot and lose the training run. The real app, under Xvfb: the first signal saves the
# unsaved steps to the Training panel's "save to" path and quits cleanly; with nothing
# unsaved it just quits.
set -euo pipefail
studio="$1"
if [ -z "${DISPLAY:-}" ]; then exec xvfb-run -a -s "-screen 0 1600x1000x24" bash "$0" "$@"; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"  # the default "save to" path, runs/studio/last.safetensors, is relative

# Runs the app with the given options, sends it `signal` once `ready` (a command) succeeds or
# after `seconds` at most, and fails unless it then exits with 0. Its output goes to `log`.
signal_when() {
  local ready="$1" seconds="$2" signal="$3" log="$4"
  shift 4
  "$studio" --frames 1000000 --config-dir cfg "$@" > "$log" 2>&1 &
  local pid=$! status=0 waited=0
  # On a loaded machine the first step can take far longer than usual: wait for it, not a time.
  until eval "$ready" || [ "$waited" -ge "$((seconds * 10))" ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  kill "-$signal" "$pid"
  wait "$pid" || status=$?
  cat "$log"
  [ "$status" = 0 ] || { echo "FAIL: the app exited with $status after SIG$signal"; exit 1; }
}

# Training, interrupted once it has logged a few steps.
has_steps() { [ -f runs/studio/metrics.jsonl ] && [ "$(wc -l < runs/studio/metrics.jsonl)" -ge 3 ]; }
signal_when has_steps 180 INT app.log --train-steps 100000 --report report.json
steps=$(python3 -c 'import json; print(json.load(open("report.json"))["last_step"])')
[ "$steps" -gt 0 ] || { echo "FAIL: no training step in 180 s, nothing to save"; exit 1; }
test -s runs/studio/last.safetensors || { echo "FAIL: the run was not saved"; exit 1; }
grep -q "saved to runs/studio/last.safetensors" app.log || { echo "FAIL: no saved line"; exit 1; }
echo "SIGINT after step $steps: saved, exit 0"

# Nothing to save: SIGTERM just quits.
rm -rf runs
signal_when false 3 TERM idle.log
[ ! -e runs ] || { echo "FAIL: an idle app saved something"; exit 1; }
echo "studio signal test: passed"
