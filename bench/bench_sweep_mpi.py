#!/usr/bin/env python3
"""bench_sweep_mpi.py — throughput of `boltzbench suite NAME --mpi` with R worker ranks x T threads.

Runs the suite (every run again: --rerun, into a scratch directory) once per configuration,
configurations interleaved round by round so that side-by-side ratios see the same machine
load, and writes one JSON file (atomically, after every configuration) with, per run of the
suite: the configuration (worker ranks, threads per run, mpirun -np = ranks + 1 for the
dispatcher), wall seconds, runs per hour, the sum of the runs' own wall and CPU seconds (from
their reports), failed runs, and the load average and `uptime` line before and after.
The machine is shared: compare configurations of the same round, not absolute numbers.

  bench/bench_sweep_mpi.py --boltzbench build/boltzbench [--suite quick] [--tasks gmm40,dw4]
      [--rounds 1] [--configs 1x1,2x1,1x2,3x1] [--out bench/results/bench_sweep_mpi.json] [--nice 10]

--tasks keeps only the suite's groups of those tasks (a smaller suite when the machine is too
loaded for the whole one); the JSON names the groups kept.
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


def uptime():
    return subprocess.run(["uptime"], stdout=subprocess.PIPE, text=True).stdout.strip()


def report_totals(out_dir):
    wall = cpu = 0.0
    n = failed = 0
    threads = set()
    for f in glob.glob(os.path.join(out_dir, "*", "*.json")):
        r = json.load(open(f))
        n += 1
        threads.add((r.get("host") or {}).get("threads"))
        failed += r.get("status") != "ok"
        t = r.get("timing") or {}
        wall += t.get("wall_s") or 0.0
        cpu += t.get("cpu_s") or 0.0
    return n, failed, wall, cpu, sorted(t for t in threads if t is not None)


def write_atomic(path, obj):
    tmp = path + ".tmp.%d" % os.getpid()
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--boltzbench", required=True)
    ap.add_argument("--suite", default="quick")
    ap.add_argument("--tasks", default=None, help="keep only the suite's groups of these tasks")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--configs", default="1x1,2x1,1x2,3x1", help="RANKSxTHREADS,... (worker ranks)")
    ap.add_argument("--out", default="bench/results/bench_sweep_mpi.json")
    ap.add_argument("--nice", type=int, default=10, help="niceness of the runs (a shared machine)")
    ap.add_argument("--mpiexec", default="mpirun")
    a = ap.parse_args()
    configs = [tuple(int(x) for x in c.split("x")) for c in a.configs.split(",")]
    bb = os.path.abspath(a.boltzbench)
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    env.pop("OMP_NUM_THREADS", None)
    scratch = tempfile.mkdtemp(prefix="bb_bench_sweep_")
    suite = a.suite
    if a.tasks:  # the suite file's groups of these tasks only
        path = suite if os.path.exists(suite) else os.path.join(os.path.dirname(__file__), "..", "harness",
                                                                "suites", suite + ".json")
        s = json.load(open(path))
        keep = set(a.tasks.split(","))
        s["runs"] = [g for g in s["runs"] if keep & set(g["tasks"])]
        suite = os.path.join(scratch, "suite.json")
        json.dump(s, open(suite, "w"))
    result = {"bench": "sweep_mpi", "suite": a.suite, "tasks": a.tasks, "boltzbench": bb, "host_cpus": os.cpu_count(),
              "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "nice": a.nice,
              "note": "shared machine (other agents running): compare configurations of the same round",
              "measurements": []}
    try:
        for rnd in range(a.rounds):
            for ranks, threads in configs:
                out = os.path.join(scratch, f"r{ranks}t{threads}")
                shutil.rmtree(out, ignore_errors=True)
                cmd = ["nice", "-n", str(a.nice), a.mpiexec, "--oversubscribe", "--bind-to", "none", "-np",
                       str(ranks + 1), bb, "suite", suite, "--mpi", "--rerun", "--quiet", "--out", out,
                       "--threads", str(threads)]
                load0, up0 = os.getloadavg(), uptime()
                t0 = time.monotonic()
                p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                wall = time.monotonic() - t0
                load1, up1 = os.getloadavg(), uptime()
                n, failed, run_wall, run_cpu, th = report_totals(out)
                m = {"round": rnd, "worker_ranks": ranks, "threads_per_run": threads, "mpirun_np": ranks + 1,
                     "exit_status": p.returncode, "wall_s": round(wall, 2), "runs": n, "failed_runs": failed,
                     "runs_per_hour": round(n / wall * 3600, 1) if wall > 0 else None,
                     "sum_run_wall_s": round(run_wall, 2), "sum_run_cpu_s": round(run_cpu, 2), "host_threads_in_reports": th,
                     "loadavg_before": load0, "loadavg_after": load1, "uptime_before": up0, "uptime_after": up1}
                result["measurements"].append(m)
                print(json.dumps(m), flush=True)
                if p.returncode:
                    print(p.stdout[-3000:], file=sys.stderr)
                write_atomic(a.out, result)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
