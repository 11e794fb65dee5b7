#!/usr/bin/env bash
# Why: the multi-node launch paths cannot be tried without a cluster, but they can be
# simulated on one machine: two torchrun "nodes" (--nnodes 2 on localhost, torchrun's agent
# hosting the store) and two srun-like tasks (the SLURM_* variables srun sets). Each must
# give the same run, bit for bit, as `mae train --ranks 2`, and the same loss curve as one
# process with the whole batch. Prints the figures; exits 1 when a run differs.
#   scripts/dist_demo.sh [build folder]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/build_env.sh"
root="$MAE_ROOT"
build="${1:-$root/build}"
mae="$build/app/cli/mae"
venv="$MAE_VENV"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=1
args=(train --preset fmnist-tiny --data fashion-mnist --workers 1 --steps 20 --seed 3 --lr 2e-3
      --log-every 20)

echo "one process, batch 16"
"$mae" "${args[@]}" --batch 16 --out "$work/one" 2>"$work/one.log"
echo "mae train --ranks 2, batch 8 per rank"
"$mae" "${args[@]}" --batch 8 --ranks 2 --out "$work/ranks" 2>"$work/ranks.log"

echo "two torchrun nodes on localhost (--nnodes 2), one rank each"
port=$((29000 + RANDOM % 1000))
for node in 1 0; do
  "$venv/bin/torchrun" --nnodes 2 --node-rank $node --nproc-per-node 1 --master-addr 127.0.0.1 \
    --master-port $port --no-python "$mae" "${args[@]}" --batch 8 --out "$work/torchrun" \
    >"$work/node$node.log" 2>&1 &
done
wait
grep -m1 "rank 0 of" "$work/node0.log"

echo "two srun-like tasks (SLURM_PROCID, SLURM_STEP_NUM_TASKS, SLURM_STEP_NODELIST)"
job=$((RANDOM % 10000))
for task in 1 0; do
  SLURM_PROCID=$task SLURM_LOCALID=$task SLURM_STEP_NUM_TASKS=2 SLURM_STEP_TASKS_PER_NODE=2 \
    SLURM_STEP_NODELIST=localhost SLURM_JOB_ID=$job \
    "$mae" "${args[@]}" --batch 8 --out "$work/slurm" >"$work/task$task.log" 2>&1 &
done
wait
grep -m1 "rank 0 of" "$work/task0.log"

"$venv/bin/python" - "$work" <<'PY'
import json, sys
from safetensors.torch import load_file
work = sys.argv[1]
def run(name):
    weights = {k: v.double() for k, v in load_file(f"{work}/{name}/last.safetensors").items()
               if not k.startswith("optimizer.")}
    losses = [json.loads(line)["loss"] for line in open(f"{work}/{name}/metrics.jsonl")]
    return weights, losses
ranks_w, ranks_l = run("ranks")
ok = True
for name in ("torchrun", "slurm"):
    w, l = run(name)
    diff = max((w[k] - ranks_w[k]).abs().max().item() for k in w)
    same = diff == 0.0 and l == ranks_l
    ok &= same
    print(f"{name:9s} vs --ranks 2: max |weight diff| {diff:.3g}, loss curves "
          f"{'identical' if l == ranks_l else 'differ'}")
one_w, one_l = run("one")
print(f"--ranks 2 x 8 vs 1 x 16: max |loss diff| over 20 steps "
      f"{max(abs(a - b) for a, b in zip(one_l, ranks_l)):.3g}; loss {one_l[0]:.4f} -> {one_l[-1]:.4f}")
sys.exit(0 if ok else 1)
PY
