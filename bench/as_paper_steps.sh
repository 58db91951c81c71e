#!/usr/bin/env bash
# as_paper_steps.sh — wall time of Adjoint Sampling at the paper's DW-4 size, per outer
# iteration (one buffer refill of 512 trajectories x 200 SDE steps + 100 gradient steps),
# for several boltzbench binaries side by side, and the 10 000-step time it implies.
#
# Usage: bench/as_paper_steps.sh OUT.json THREADS LABEL=BINARY [LABEL=BINARY ...]
# Each binary runs `run -t dw4 -m adjoint_sampling` with its own paper-size defaults
# (nn_threads = THREADS) at budgets 512 and 1536 (1 and 3 outer iterations; draws of
# 100 samples, energy_w2 only). One outer iteration = the steps' own wall time (refill +
# gradient steps, without the anytime and final draws; see per_outer_steps below), and
# 10 000 steps = 100 of them. The plain wall-time difference over 2 is kept too
# (per_outer_wall_s): it also carries the default anytime draw of 500 samples that the
# longer run makes after iteration 1 and the shorter one does not pay in full. Binaries run one after the other, in the order given, on whatever else
# the machine runs: the JSON records the load average before and after each run.
# Needs /usr/bin/python3 only to assemble the JSON (not part of the product).
set -euo pipefail
out=$1; threads=$2; shift 2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
rows=()
for spec in "$@"; do
  label=${spec%%=*}; bin=${spec#*=}
  for budget in 512 1536; do
    load0=$(cut -d' ' -f1 /proc/loadavg)
    t0=$(date +%s.%N)
    "$bin" run -t dw4 -m adjoint_sampling -b "$budget" -n 100 -s 0 -j "$threads" -q \
      -p nn_threads="$threads" --metrics energy_w2 -o "$tmp/$label-$budget.json" >/dev/null
    t1=$(date +%s.%N)
    load1=$(cut -d' ' -f1 /proc/loadavg)
    rows+=("$label $budget $t0 $t1 $load0 $load1 $tmp/$label-$budget.json $bin")
  done
done
printf '%s\n' "${rows[@]}" | /usr/bin/python3 -c '
import json, sys, platform, os
threads = int(sys.argv[2]); runs = {}
for line in sys.stdin:
    label, budget, t0, t1, l0, l1, rep, binp = line.split()
    r = json.load(open(rep))
    runs.setdefault(label, {"binary": binp, "version": r["harness"]["version"], "git_commit": r["harness"]["git_commit"]})
    runs[label]["budget_%s" % budget] = {"wall_s": float(t1) - float(t0), "load_before": float(l0), "load_after": float(l1),
        "evaluations": r["budget"]["used"], "timing": r["timing"]}
def per_outer_steps(v):
    # wall seconds of one outer iteration in the steps of the method (refill + gradient steps),
    # without the anytime and final draws: the difference of the timing.split.training_s
    # over 2, or, for a binary without the split, the last interval of the 3-iteration run
    # training curve (the default anytime draw falls between iterations 1 and 2)
    t1, t3 = v["budget_512"]["timing"], v["budget_1536"]["timing"]
    if "split" in t3:
        return (t3["split"]["training_s"] - t1["split"]["training_s"]) / 2.0, "timing.split.training_s"
    c = t3["training_curve_wall_s"]
    return c[-1] - c[-2], "training_curve_wall_s, last interval"
for label, v in runs.items():
    a, b = v["budget_512"]["wall_s"], v["budget_1536"]["wall_s"]
    v["per_outer_wall_s"] = (b - a) / 2.0
    v["per_outer_steps_s"], v["per_outer_steps_from"] = per_outer_steps(v)
    v["ten_thousand_steps_min"] = 100 * v["per_outer_steps_s"] / 60.0
json.dump({"bench": "as_paper_steps", "task": "dw4", "method": "adjoint_sampling", "threads": threads,
           "cpus": os.cpu_count(), "machine": platform.processor() or platform.machine(), "runs": runs},
          open(sys.argv[1] + ".tmp", "w"), indent=1)
os.replace(sys.argv[1] + ".tmp", sys.argv[1])
for label, v in runs.items():
    print("%-10s per outer %.1f s (steps only; %.1f s by wall difference), 10k steps %.1f min" %
          (label, v["per_outer_steps_s"], v["per_outer_wall_s"], v["ten_thousand_steps_min"]))
' "$out" "$threads"
