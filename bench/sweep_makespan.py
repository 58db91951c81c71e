#!/usr/bin/env python3
"""sweep_makespan.py — what a suite costs at cluster scale, from the per-run wall and CPU times
its committed reports carry (results/<suite>/<task>/<run>.json, timing.wall_s/cpu_s).

For W workers it replays the dispatch `boltzbench suite --mpi` does (longest expected first,
each run to the next free worker: LPT, Graham 1969: makespan <= (4/3 - 1/(3W)) x optimal) with
the measured times, and prints/writes the makespan, the lower bound max(total/W, longest run), the
utilisation and runs per hour, twice: with the runs' wall seconds (a worker as
loaded as the machine that wrote the reports) and with their CPU seconds (a worker with a
dedicated core; the runs of results/standard use about one core each). Per method and budget it also lists the mean wall seconds.

  bench/sweep_makespan.py [--results results/standard] [--workers 1,2,4,8,16,32,64,128]
      [--out bench/results/sweep_makespan_standard.json]
"""
import argparse
import glob
import heapq
import json
import os
import sys
from collections import defaultdict


def lpt(times, workers):
    free = [0.0] * workers
    heapq.heapify(free)
    for t in sorted(times, reverse=True):
        heapq.heappush(free, heapq.heappop(free) + t)
    return max(free)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", default="results/standard")
    ap.add_argument("--workers", default="1,2,4,8,16,32,64,128")
    ap.add_argument("--out", default="bench/results/sweep_makespan_standard.json")
    a = ap.parse_args()
    runs = []
    for f in sorted(glob.glob(os.path.join(a.results, "*", "*.json"))):
        r = json.load(open(f))
        t = r.get("timing") or {}
        runs.append({"task": r["task"]["id"], "method": r["method"]["name"], "budget": r["budget"]["limit"],
                     "wall_s": t.get("wall_s", 0.0), "cpu_s": t.get("cpu_s", 0.0),
                     "threads": (r.get("host") or {}).get("threads")})
    if not runs:
        print(f"{a.results}: no reports", file=sys.stderr)
        return 1
    walls = [r["wall_s"] for r in runs]
    total, longest = sum(walls), max(walls)
    by = defaultdict(list)
    for r in runs:
        by[(r["method"], int(r["budget"]))].append(r["wall_s"])
    out = {"results": a.results, "runs": len(runs), "sum_wall_s": round(total, 1),
           "sum_cpu_s": round(sum(r["cpu_s"] for r in runs), 1), "longest_run_s": round(longest, 1),
           "threads_in_reports": sorted({r["threads"] for r in runs if r["threads"] is not None}),
           "mean_wall_s_by_method_budget": {f"{m} b{b}": round(sum(v) / len(v), 1) for (m, b), v in sorted(by.items())},
           "workers": []}
    cpus = [r["cpu_s"] for r in runs]
    for w in (int(x) for x in a.workers.split(",")):
        row = {"workers": w}
        for name, times in (("wall", walls), ("cpu", cpus)):
            ms = lpt(times, w)
            row[f"{name}_makespan_s"] = round(ms, 1)
            row[f"{name}_lower_bound_s"] = round(max(sum(times) / w, max(times)), 1)
            row[f"{name}_utilisation"] = round(sum(times) / (w * ms), 3)
            row[f"{name}_runs_per_hour"] = round(len(runs) / ms * 3600, 1)
        out["workers"].append(row)
    print(json.dumps(out, indent=1))
    tmp = a.out + ".tmp.%d" % os.getpid()
    with open(tmp, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    os.replace(tmp, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
