#!/usr/bin/env bash
# bench/pita_vs_torch.sh — PITA's training step at the authors' LJ-13 setting, boltzbench
# (bench_pita) and PyTorch (bench_pita_torch.py, the same networks and loss, its loss checked
# against ours) side by side on 1 and 2 threads, interleaved; the load (uptime) is recorded.
#   bench/pita_vs_torch.sh [BUILD_DIR] [OUT.json] [STEPS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}; out=${2:-bench/results/bench_pita_lj13.json}; steps=${3:-3}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cmake --build "$build" --target bench_pita >/dev/null
"$build/bench/bench_pita" --steps 1 --threads 1 --export "$tmp/p" >/dev/null
for t in 1 2; do
  "$build/bench/bench_pita" --steps "$steps" --threads "$t" --out "$tmp/c$t.json"
  /usr/bin/python3 bench/bench_pita_torch.py --init "$tmp/p" --steps "$steps" --threads "$t" --out "$tmp/t$t.json" 2>/dev/null
  uptime > "$tmp/load$t.txt"
done
/usr/bin/python3 - "$tmp" "$out" <<'PY'
import json, sys
d, out = sys.argv[1], sys.argv[2]
r = {"what": "PITA training step, authors' LJ-13 setting (two EGNN 3x32 conditioned on c_noise and beta, batch 512, "
             "energy-score distillation by double backward + denoising score matching + energy pinning, Adam, clip 0.5), "
             "float32; boltzbench bench_pita vs PyTorch bench_pita_torch.py (loss of the same step checked)",
     "runs": []}
for t in (1, 2):
    c = json.load(open(f"{d}/c{t}.json")); p = json.load(open(f"{d}/t{t}.json"))
    r["runs"].append({"threads": t, "load": open(f"{d}/load{t}.txt").read().strip(),
                      "boltzbench_s_per_step": c["train_s_per_step"], "boltzbench_cpu_s_per_step": c["train_cpu_s_per_step"],
                      "torch_s_per_step": p["train_s_per_step"], "torch_cpu_s_per_step": p["train_cpu_s_per_step"],
                      "speedup_wall": p["train_s_per_step"] / c["train_s_per_step"],
                      "speedup_cpu": p["train_cpu_s_per_step"] / c["train_cpu_s_per_step"],
                      "boltzbench_anneal_chunk_fields_s": c["anneal_chunk_fields_s"],
                      "loss_check_relative": p["loss_check_relative"]})
json.dump(r, open(out, "w"), indent=1)
print(json.dumps(r, indent=1))
PY
