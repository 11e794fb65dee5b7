#!/usr/bin/env bash
# Why: the `mae` command as a user types it: train (on Fashion-MNIST and on a photo folder),
# resume, info, eval, reconstruct (and its step-through), bench, bench-data, probe, sweep,
# and the errors a user gets for bad input (non-zero exit, a message on stderr), and the
# warning for weights that hold NaN.
set -euo pipefail
MAE="$1"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export MAE_CACHE_DIR="$work/cache"  # the decoded-image cache of photo folders
fail() { echo "FAIL: $*" >&2; exit 1; }

"$MAE" --help | grep -q train || fail "--help lists no train"
for c in train eval reconstruct bench info probe sweep; do "$MAE" $c --help >/dev/null || fail "$c --help"; done

data=fashion-mnist
if [ ! -d "${MAE_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}" ]; then
  mkdir -p "$work/imgs"
  python3 - "$work/imgs" <<'PY'
import sys, struct, zlib
def png(path, v):
    raw = b''.join(b'\0' + bytes([(v + x * 9 + y * 5) % 256 for x in range(28)]) for y in range(28))
    def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
    open(path, 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 28, 28, 8, 0, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
for i in range(8): png(f"{sys.argv[1]}/{i}.png", i * 30)
PY
  data="$work/imgs"
fi

"$MAE" train --data "$data" --preset fmnist-tiny --steps 4 --batch 16 --out "$work/run" --log-every 2 2>"$work/train.log" \
  || { cat "$work/train.log"; fail "train"; }
grep -q "ETA" "$work/train.log" || fail "no progress line with ETA"
# In a log file (not a terminal) each progress report is a line of its own, without '\r'.
test "$(grep -c "^step [0-9]/4  loss .* ETA" "$work/train.log")" -eq 2 || fail "progress lines in a file"
! grep -q $'\r' "$work/train.log" || fail "carriage returns in a log file"
test -s "$work/run/last.safetensors" || fail "no last.safetensors"
test "$(wc -l < "$work/run/metrics.jsonl")" -eq 4 || fail "metrics.jsonl should have 4 lines"
"$MAE" train --out "$work/run" --resume --steps 6 2>"$work/resume.log" || fail "resume"
test "$(wc -l < "$work/run/metrics.jsonl")" -eq 6 || fail "resume should append 2 metric lines"
"$MAE" info "$work/run/last.safetensors" | grep -q "step         6" || fail "info step"
# A new total stretches the lr schedule, which is said; a total already reached is refused,
# and a finished run resumed as it is says how to go on.
grep -q "run/last.safetensors' was to train 4 steps and goes on to 6; its lr schedule stretches to the new total, so the lr at step 4 goes from " \
  "$work/resume.log" || { cat "$work/resume.log"; fail "resume --steps: no note on the lr schedule"; }
! "$MAE" train --out "$work/run" --resume --steps 5 2>"$work/fewer.log" || fail "resume --steps below the step reached"
grep -q "^mae: error: --steps 5: '.*run/last.safetensors' is at step 6 already; give a total beyond it" \
  "$work/fewer.log" || { cat "$work/fewer.log"; fail "resume --steps below the step reached: no reason"; }
"$MAE" train --out "$work/run" --resume 2>"$work/finished.log" || fail "resume a finished run"
grep -q "run/last.safetensors' has trained all its 6 steps; --steps with a larger total" \
  "$work/finished.log" || { cat "$work/finished.log"; fail "resume a finished run: no note"; }
test "$(wc -l < "$work/run/metrics.jsonl")" -eq 6 || fail "a finished run resumed adds no metric lines"
# --adapt-threads trains the same steps, trying other thread counts on the way (which it keeps
# depends on the machine's load, so only that it runs to the end is checked here).
"$MAE" train --data "$data" --preset fmnist-tiny --steps 12 --batch 16 --device cpu --adapt-threads \
  --out "$work/adapt" 2>"$work/adapt.log" || { cat "$work/adapt.log"; fail "train --adapt-threads"; }
test "$(wc -l < "$work/adapt/metrics.jsonl")" -eq 12 || fail "--adapt-threads: 12 metric lines"
# A resumed run's step choices are this command's, each change said once.
"$MAE" train --out "$work/adapt" --resume --steps 13 --device cpu --cpu-bf16 2>"$work/bf16.log" \
  || { cat "$work/bf16.log"; fail "resume with --cpu-bf16"; }
grep -q "adapt/last.safetensors' was trained in fp32; it goes on with bf16 autocast (--cpu-bf16 chooses)" \
  "$work/bf16.log" || { cat "$work/bf16.log"; fail "resume with --cpu-bf16: no note"; }
"$MAE" train --out "$work/adapt" --resume --steps 14 --device cpu 2>"$work/fp32.log" \
  || { cat "$work/fp32.log"; fail "resume without --cpu-bf16"; }
grep -q "was trained with bf16 autocast; it goes on in fp32 (--cpu-bf16 chooses)" "$work/fp32.log" \
  || { cat "$work/fp32.log"; fail "resume without --cpu-bf16: no note"; }
test "$(grep -c "^note: .* was trained " "$work/fp32.log")" -eq 1 || { cat "$work/fp32.log"; fail "one note for one change"; }
# A newer run that started the folder's curve over, reached step 7 and was never saved: a
# resume keeps its curve apart instead of appending to it.
python3 -c 'import sys
for s in range(1, 8): print("{\"step\":%d,\"loss\":%r}" % (s, 1.0 / s))' > "$work/run/metrics.jsonl"
"$MAE" train --out "$work/run" --resume --steps 7 2>"$work/other.log" || fail "resume over another run's curve"
grep -q "run/metrics.jsonl held another run's curve: it is kept as .*run/metrics-other-run.jsonl" "$work/other.log" \
  || { cat "$work/other.log"; fail "another run's curve should be moved aside"; }
test "$(wc -l < "$work/run/metrics-other-run.jsonl")" -eq 7 || fail "the other run's curve should be kept whole"
test "$(wc -l < "$work/run/metrics.jsonl")" -eq 1 || fail "the resumed curve should hold step 7 only"
# A step of many micro-batches shows its progress, and Ctrl+C abandons it between two of
# them (not after the whole step) and saves the steps before it.
"$MAE" train --data "$data" --preset fmnist-tiny --steps 3 --batch 2 --accum 4096 --device cpu \
  --out "$work/int" 2>"$work/int.log" &
pid=$!
for _ in $(seq 1 1200); do grep -q "step 1/3: [0-9]* of 4096 micro-batches done" "$work/int.log" && break; sleep 0.1; done
kill -INT "$pid"
wait "$pid" || { cat "$work/int.log"; fail "interrupted train exited non-zero"; }
grep -q "interrupted at step 0; saved" "$work/int.log" || { cat "$work/int.log"; fail "Ctrl+C inside a step"; }
"$MAE" info "$work/int/last.safetensors" | grep -q "step         0" || fail "interrupted save's step"
# A misspelt tuning variable is refused before any command runs, each named; help still answers.
MAE_CPU_GEMM=mlk MAE_UNFUSED=nrom "$MAE" info --device 2>"$work/tuning.log" && fail "a misspelt MAE_CPU_GEMM ran"
grep -q '^mae: error: MAE_CPU_GEMM=mlk: it is onednn or mkl; MAE_UNFUSED=nrom: "nrom" is none of' "$work/tuning.log" \
  || { cat "$work/tuning.log"; fail "a misspelt tuning variable: no message"; }
MAE_CPU_GEMM=mlk "$MAE" --help | grep -q train || fail "--help with a misspelt MAE_CPU_GEMM"
# Every command defaults to --device auto: the GPU when there is one, else the CPU.
if ! nvidia-smi -L >/dev/null 2>&1; then
  "$MAE" info --device | grep -q "^device       cpu ([0-9]* threads" || fail "info --device"
  "$MAE" info --device | grep -q "^cpu bf16     " || fail "info --device: cpu bf16"
  grep -q "device cpu (" "$work/train.log" || fail "train should say it runs on the cpu"
fi

evaldata=$data; [ "$data" = fashion-mnist ] && evaldata=fashion-mnist:test
"$MAE" eval --checkpoint "$work/run/last.safetensors" --data "$evaldata" --ratio 0.75 --max-images 32 --json > "$work/eval.json"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert all(j[k] > 0 for k in ("model_mse","mean_fill_mse","nearest_pixel_mse")), j' "$work/eval.json" \
  || fail "eval json"

img="$work/one.png"
if [ "$data" = fashion-mnist ]; then
  "$MAE" reconstruct --checkpoint "$work/run/last.safetensors" --image fashion-mnist:test --index 3 --ratio 0.9 --seed 2 --out "$img" >/dev/null
else
  "$MAE" reconstruct --checkpoint "$work/run/last.safetensors" --image "$data/1.png" --ratio 0.9 --seed 2 --out "$img" >/dev/null
fi
test -s "$img" || fail "reconstruct wrote nothing"
"$MAE" reconstruct --checkpoint "$work/run/last.safetensors" --image "$img" --ratio 0.5 --out "$work/again.png" >/dev/null \
  || fail "reconstruct of a wide PNG"

"$MAE" bench --preset fmnist-tiny --batch 8 --steps 1 --warmup 1 --json > "$work/bench.json"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["train_images_per_sec"] > 0 and j["infer_images_per_sec"] > 0 and j["device"] in ("cpu", "cuda") and j["device_note"].startswith(j["device"]), j' "$work/bench.json" \
  || fail "bench json"
# Zero timed steps used to crash (median of nothing); now a one-line refusal.
if "$MAE" bench --preset fmnist-tiny --steps 0 2> "$work/bench.err"; then fail "bench --steps 0 ran"; fi
grep -q "steps: Value 0 not in range 1" "$work/bench.err" || fail "bench --steps 0: $(cat "$work/bench.err")"
# Out-of-range training options used to fall back to the preset's values without a word.
for bad in "--batch 0" "--steps -5" "--lr -1" "--base-lr 0" "--mask-ratio -0.2" "--crop-min 0" \
           "--save-every -1"; do
  # shellcheck disable=SC2086
  if "$MAE" train --data fashion-mnist --out "$work/refused" $bad 2> "$work/train.err"; then
    fail "train $bad ran"
  fi
  grep -q "^${bad%% *}: Value" "$work/train.err" || fail "train $bad: $(cat "$work/train.err")"
done
[ ! -e "$work/refused" ] || fail "a refused train command made its --out folder"

# A small photo folder with class sub-folders: first pass, then a second run from the cache.
python3 - "$work/photos" <<'PY'
import os, struct, sys, zlib
def png(path, w, h, v):
    raw = b''.join(b'\0' + bytes([(v + x * 3 + y * 5 + c * 40) % 256 for x in range(w) for c in range(3)]) for y in range(h))
    def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
    open(path, 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
for cls in ("cats", "dogs"):
    os.makedirs(f"{sys.argv[1]}/{cls}")
    for i in range(5): png(f"{sys.argv[1]}/{cls}/{i}.png", 300 + 20 * i, 240, i * 40)
PY
"$MAE" train --data "$work/photos" --preset rgb-small --steps 2 --batch 4 --out "$work/prun" 2>"$work/ptrain.log" \
  || { cat "$work/ptrain.log"; fail "train on a photo folder"; }
grep -q "first pass: decod" "$work/ptrain.log" || { cat "$work/ptrain.log"; fail "no first-pass progress"; }
grep -q "data ready: 10 images" "$work/ptrain.log" || fail "no data-ready line"
grep -q "recipe: batch 4, base lr 1.5e-03" "$work/ptrain.log" || fail "rgb-small recipe not used"
"$MAE" train --data "$work/photos" --preset rgb-small --steps 2 --batch 4 --out "$work/prun2" 2>"$work/ptrain2.log"
if grep -q "first pass: decod" "$work/ptrain2.log"; then fail "second run decoded again"; fi
"$MAE" bench-data --data "$work/photos" --preset rgb-small --batch 4 --batches 2 --json > "$work/bd.json"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["files"] == 10 and j["warm_images_per_sec"] > 0 and j["cold_images_per_sec"] > 0 and j["cache_file_bytes"] > 0, j' "$work/bd.json" \
  || fail "bench-data json"
"$MAE" bench-data --data "$work/photos" --preset rgb-small --batch 4 --batches 2 --crops-on-device \
  --json > "$work/bdc.json"
python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["crops_on_device"]; assert c["packed_images_per_sec"] > 0 and c["packed_bytes_per_image"] > 0 and c["device_images_per_sec"] > 0, c' "$work/bdc.json" \
  || fail "bench-data --crops-on-device json"

# Probe and sweep on the labelled photo folder (every 5th picture held out), the step-through.
"$MAE" probe --checkpoint "$work/prun/last.safetensors" --data "$work/photos" --epochs 5 --json \
  --confusion-png "$work/confusion.png" > "$work/probe.json" || fail "probe"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["train_items"] == 8 and j["test_items"] == 2 and j["classes"] == 2 and "raw_pixels" in j and "random_encoder" in j, j' "$work/probe.json" \
  || fail "probe json"
test -s "$work/confusion.png" || fail "no confusion picture"
# A photo folder with a file that cannot be read is evaluated, probed and trained on without it,
# and each says which file it left out.
cp -r "$work/photos" "$work/photos-broken" && printf 'not a picture' > "$work/photos-broken/cats/broken.jpg"
"$MAE" eval --checkpoint "$work/prun/last.safetensors" --data "$work/photos-broken" --json \
  > "$work/beval.json" || fail "eval of a folder with an unreadable file"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); u=j["unreadable"]; assert j["images"] == 10 and len(u) == 1 and "broken.jpg" in u[0], j' \
  "$work/beval.json" || fail "eval json of a folder with an unreadable file"
"$MAE" eval --checkpoint "$work/prun/last.safetensors" --data "$work/photos-broken" \
  > "$work/beval.txt" 2> "$work/beval.err" || fail "eval table of a folder with an unreadable file"
grep -q "^left out '.*broken.jpg': " "$work/beval.err" || { cat "$work/beval.err"; fail "eval names no unreadable file"; }
grep -q "^10 images" "$work/beval.txt" || { cat "$work/beval.txt"; fail "eval table count"; }
# Each baseline's phrase says what its numbers say: "N% lower", "N% higher" below twice the
# baseline, "N.Nx higher" from there (not "1.0x higher" for a model 1% above it).
python3 - "$work/beval.txt" <<'PY' || { cat "$work/beval.txt"; fail "eval table's phrases"; }
import re, sys
table = open(sys.argv[1]).read()
rows = {name: (float(value), phrase) for name, value, phrase in
        re.findall(r"^  (model|mean fill|nearest pixel) +([0-9.]+)(.*)$", table, re.M)}
model = rows["model"][0]
for name in ("mean fill", "nearest pixel"):
    base, phrase = rows[name]
    m = re.fullmatch(r"  \(model is ([0-9.]+)(%|x) (lower|higher)\)", phrase)
    assert m, phrase
    value, unit, way = float(m[1]), m[2], m[3]
    if way == "lower":
        assert unit == "%" and model <= base * 1.001, phrase
    elif unit == "%":
        assert base * 0.999 <= model < 2.001 * base and abs(value - 100 * (model / base - 1)) < 1.5, phrase
    else:
        assert model >= 1.999 * base and abs(value - model / base) < 0.06, phrase
PY
# Pictures of one flat colour: mean fill restores them but for rounding, and the table shows
# 0.0000 for it; the model is not set against that as "1426154292797.8x higher".
mkdir -p "$work/flat"
{ printf 'P5\n64 64\n255\n'; head -c 4096 /dev/zero | tr '\0' '\200'; } > "$work/flat/grey.pgm"
"$MAE" eval --checkpoint "$work/prun/last.safetensors" --data "$work/flat" > "$work/flat.txt" \
  || fail "eval of a flat picture"
grep -q "^  mean fill      0.0000$" "$work/flat.txt" || { cat "$work/flat.txt"; fail "eval of a flat picture sets the model against a mean fill of 0.0000"; }
"$MAE" probe --checkpoint "$work/prun/last.safetensors" --data "$work/photos-broken" --epochs 5 \
  > "$work/bprobe.txt" 2> "$work/bprobe.err" || fail "probe of a folder with an unreadable file"
grep -q "^left out '.*broken.jpg': " "$work/bprobe.err" || { cat "$work/bprobe.err"; fail "probe names no unreadable file"; }
"$MAE" train --data "$work/photos-broken" --preset rgb-small --steps 1 --batch 4 --out "$work/brun" \
  2> "$work/btrain.log" || { cat "$work/btrain.log"; fail "train on a folder with an unreadable file"; }
grep -q "^left out '.*broken.jpg': " "$work/btrain.log" || { cat "$work/btrain.log"; fail "train names no unreadable file"; }
"$MAE" sweep --data "$work/photos" --preset rgb-small --ratios 0.5,0.75 --steps 2 --eval-images 2 \
  --adapt-threads --out "$work/sweep" --json > "$work/sweep.json" 2>/dev/null || fail "sweep"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert [r["ratio"] for r in j["runs"]] == [0.5, 0.75], j' "$work/sweep.json" \
  || fail "sweep json"
test -s "$work/sweep/sweep.png" || fail "no sweep picture"
# Run again: both ratios are finished, so nothing trains and the same table comes back.
"$MAE" sweep --data "$work/photos" --preset rgb-small --ratios 0.5,0.75 --steps 2 --eval-images 2 \
  --out "$work/sweep" --json > "$work/sweep2.json" 2>/dev/null || fail "sweep again"
python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["runs"]; b=json.load(open(sys.argv[2]))["runs"]; assert a == b, (a, b)' "$work/sweep.json" "$work/sweep2.json" \
  || fail "a finished sweep should not train again"
"$MAE" reconstruct --checkpoint "$work/prun/last.safetensors" --image "$work/photos/cats/0.png" \
  --out "$work/r.png" --stages "$work/stages" >/dev/null || fail "reconstruct --stages"
test "$(ls "$work/stages"/*.png | wc -l)" -eq 11 || fail "11 stage pictures expected"
expect_error() {  # expect_error <pattern> <command...>
  local pattern=$1; shift
  if "$@" >"$work/out" 2>"$work/err"; then fail "should fail: $*"; fi
  grep -qi "$pattern" "$work/err" || { cat "$work/err"; fail "message for: $*"; }
}
printf 'garbage' > "$work/bad.safetensors"
mkdir -p "$work/bad-labels" && cp "$work/photos/cats/0.png" "$work/photos/dogs/1.png" "$work/bad-labels/"
expect_error "not found" "$MAE" info "$work/missing.safetensors"
expect_error "give a checkpoint, or --device" "$MAE" info
expect_error "safetensors" "$MAE" eval --checkpoint "$work/bad.safetensors" --data "$data"
# A checkpoint whose metadata reads well but that is short of a tensor is named with it.
python3 - "$work/run/last.safetensors" "$work/short.safetensors" <<'PY' || fail "make a checkpoint short of norm.weight"
import json, struct, sys
blob = open(sys.argv[1], "rb").read()
size = struct.unpack("<Q", blob[:8])[0]
header = json.loads(blob[8:8 + size])
del header["norm.weight"]  # its bytes stay, unnamed: the other tensors' offsets still hold
text = json.dumps(header).encode()
open(sys.argv[2], "wb").write(struct.pack("<Q", len(text)) + text + blob[8 + size:])
PY
expect_error "short.safetensors' does not fit its model: 1 tensor: norm.weight missing" \
  "$MAE" eval --checkpoint "$work/short.safetensors" --data "$evaldata" --max-images 4
expect_error "does not exist" "$MAE" train --data "$work/no-such-folder" --steps 1 --out "$work/x"
expect_error "unknown preset" "$MAE" train --preset vit-z99 --steps 1 --out "$work/x"
# A batch the machine cannot hold (ViT-H/14 at 65536: 20 TiB) is refused, with one that fits
# where one does (the free memory decides), before the out-of-memory killer ends the process.
expect_error "at batch 65536 needs about .* is free: " "$MAE" train --preset vit-h14 --batch 65536 --device cpu --data "$data" --steps 1 --out "$work/x"
expect_error "no label" "$MAE" probe --checkpoint "$work/run/last.safetensors" --data "$work/bad-labels"
expect_error "not a number in" "$MAE" sweep --ratios 0.5,1.5 --steps 1 --out "$work/x"
if ! command -v nvidia-smi >/dev/null; then expect_error "CUDA" "$MAE" bench --device cuda; fi
printf 'not an image' > "$work/bad.png"
expect_error "not a JPEG, PNG, BMP, WebP, PNM or TIFF file" "$MAE" reconstruct --checkpoint "$work/run/last.safetensors" --image "$work/bad.png" --out "$work/y.png"
# A run that diverges stops with an error after repeated non-finite losses, keeping its weights.
expect_error "non-finite losses in a row" "$MAE" train --data "$data" --preset fmnist-tiny --steps 40 --lr 1e5 --out "$work/diverge"
expect_error "Value 1e30 is not a learning rate" "$MAE" train --data "$data" --preset fmnist-tiny --steps 4 --lr 1e30 --out "$work/x"
"$MAE" info "$work/diverge/last.safetensors" >/dev/null || fail "the diverged run's last save does not load"
# A run's folder is locked while it trains: a second run into it stops at once, naming the
# first, and the lock goes with the process, even one killed without a chance to clean up.
"$MAE" train --data "$data" --preset fmnist-tiny --steps 100000 --batch 2 --device cpu \
  --out "$work/locked" 2>"$work/locked.log" &
pid=$!
for _ in $(seq 1 1200); do [ -s "$work/locked/metrics.jsonl" ] && break; sleep 0.1; done
expect_error "is in use by mae train, pid $pid on .*choose another --out" \
  "$MAE" train --data "$data" --preset fmnist-tiny --steps 1 --out "$work/locked"
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
"$MAE" train --data "$data" --preset fmnist-tiny --steps 1 --batch 2 --out "$work/locked" \
  2>"$work/relocked.log" || { cat "$work/relocked.log"; fail "a killed run's folder stayed locked"; }
test "$(wc -l < "$work/locked/metrics.jsonl")" -eq 1 || fail "the new run's curve should start over"
# A curve the disk cannot take is said, even for a run shorter than the log's one-second
# flush, and the run still saves its checkpoint.
rm "$work/locked/metrics.jsonl" && ln -s /dev/full "$work/locked/metrics.jsonl"
"$MAE" train --data "$data" --preset fmnist-tiny --steps 2 --batch 2 --out "$work/locked" \
  2>"$work/full.log" || { cat "$work/full.log"; fail "a full disk for the curve ended the run"; }
grep -q "cannot write .*/metrics.jsonl (disk full?): no step of this run's curve is saved" \
  "$work/full.log" || { cat "$work/full.log"; fail "a curve not written was not said"; }
grep -q "done at step 2; saved" "$work/full.log" || fail "no checkpoint after a curve not written"
# Weights with a NaN (from another tool's diverged run): a readable file, named with the cause
# of its NaN figures; the probe refuses it rather than print chance-level numbers.
python3 - "$work/run/last.safetensors" "$work/nan.safetensors" <<'PY'
import json, struct, sys
data = open(sys.argv[1], "rb").read()
size = struct.unpack("<Q", data[:8])[0]
header = json.loads(data[8:8 + size])
start = 8 + size + header["decoder_pred.bias"]["data_offsets"][0]
open(sys.argv[2], "wb").write(data[:start] + struct.pack("<f", float("nan")) + data[start + 4:])
PY
"$MAE" reconstruct --checkpoint "$work/nan.safetensors" --image "$work/photos/cats/0.png" --out "$work/nan.png" \
  2>"$work/nan.log" >/dev/null || fail "a checkpoint with NaN weights did not reconstruct"
grep -q "^mae: warning: '$work/nan.safetensors': 1 weight value is NaN or infinite, in 1 tensor (first decoder_pred.bias)" \
  "$work/nan.log" || { cat "$work/nan.log"; fail "NaN weights not named"; }
"$MAE" info "$work/nan.safetensors" | grep -q "^warning .* NaN or infinite" || fail "info: NaN weights"
expect_error "nothing to probe: '$work/nan.safetensors'" "$MAE" probe --checkpoint "$work/nan.safetensors" --data "$data"
# A truncated PNG names its format.
head -c 300 "$work/photos/cats/0.png" > "$work/cut.png"
expect_error "corrupt or truncated PNG" "$MAE" reconstruct --checkpoint "$work/run/last.safetensors" --image "$work/cut.png" --out "$work/y.png"
echo "cli end-to-end: all checks passed"
