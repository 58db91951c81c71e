#!/usr/bin/python3
"""bench_openmm.py — OpenMM's per-configuration energy+force throughput on the peptide tasks.

What it is: the baseline that bench/bench_energy.c's numbers for aldp-fab@1, aldp-pita@1 and
al3-pita@1 are compared against. It builds each task's system exactly as the task (and the
papers' code) does — AmberPrmtopFile(...).createSystem(implicitSolvent=OBC1, constraints=None,
NoCutoff for aldp-fab, CutoffNonPeriodic 2 nm for the PITA tasks) from tasks/molecules/data — and
evaluates configurations the way FAB (boltzgen OpenMMEnergy) and PITA (bgflow) do: for each
configuration context.setPositions(x) then context.getState(getEnergy=True, getForces=True).
Platforms: Reference (FAB's choice, double precision) and CPU with CpuThreads = 1 and 2 (mixed
precision); PITA used CUDA, which this benchmark does not cover.

Configurations: --configs FILE (one configuration per line, 3P numbers in nm, e.g. dumped from the
task's initial()) or, by default, the task's shipped structure + Gaussian noise of 0.003 nm
(seed 2385). Throughput does not depend on the values. Every number is the best of --trials runs
of at least --min-seconds each.

Output: JSON (default bench_openmm.json) {"schema": "boltzbench.bench_openmm/1", "openmm_version",
"host", "results": [{"task", "platform", "threads", "configs_per_s", "us_per_config", ...}]}, and
one summary line per measurement. Requires Debian python3-simtk; exits 77 (skipped) without it.
What it is not: a test; nothing is asserted.
Usage: /usr/bin/python3 bench/bench_openmm.py [--out FILE] [--tasks aldp-fab,...] [--n 1024]
"""
import argparse
import json
import os
import platform
import sys
import time

import numpy as np

try:
    import openmm as mm
    import openmm.app as app
    import openmm.unit as u
except ImportError:
    print("bench_openmm: openmm not importable (install Debian python3-simtk); skipped")
    sys.exit(77)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tasks", "molecules", "data")
TASKS = {
    "aldp-fab@1": ("aldp-ff96-mbondi2.prmtop", "aldp-ff96-mbondi2.crd", None),
    "aldp-pita@1": ("aldp-ff14sb-mbondi2.prmtop", "aldp-ff14sb-mbondi2.inpcrd", 2.0),
    "al3-pita@1": ("al3-ff14sb-mbondi2.prmtop", "al3-ff14sb-mbondi2.inpcrd", 2.0),
}


def build(task):
    prmtop, crd, cutoff = TASKS[task]
    top = app.AmberPrmtopFile(os.path.join(DATA, prmtop))
    if cutoff is None:
        system = top.createSystem(implicitSolvent=app.OBC1, constraints=None, nonbondedMethod=app.NoCutoff)
    else:
        system = top.createSystem(implicitSolvent=app.OBC1, constraints=None,
                                  nonbondedMethod=app.CutoffNonPeriodic, nonbondedCutoff=cutoff * u.nanometer)
    x0 = app.AmberInpcrdFile(os.path.join(DATA, crd)).getPositions(asNumpy=True).value_in_unit(u.nanometer)
    return system, np.asarray(x0)


def measure(system, X, plat, threads, trials, min_seconds):
    props = {"CpuThreads": str(threads)} if plat == "CPU" else {}
    ctx = mm.Context(system, mm.VerletIntegrator(1e-3), mm.Platform.getPlatformByName(plat), props)
    P = X.shape[1] // 3
    best = float("inf")
    sink = 0.0
    for _ in range(trials):
        n = 0
        t0 = time.perf_counter()
        while True:
            for x in X:
                ctx.setPositions(x.reshape(P, 3))
                st = ctx.getState(getEnergy=True, getForces=True)
                sink += st.getPotentialEnergy().value_in_unit(u.kilojoule_per_mole)
                st.getForces(asNumpy=True)
            n += len(X)
            dt = time.perf_counter() - t0
            if dt >= min_seconds:
                break
        best = min(best, dt / n)
    del ctx
    return best, sink


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="bench_openmm.json")
    ap.add_argument("--tasks", default=",".join(TASKS))
    ap.add_argument("--n", type=int, default=1024, help="configurations per task")
    ap.add_argument("--configs", default=None, help="text file of configurations (only with a single task)")
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--min-seconds", type=float, default=1.0)
    ap.add_argument("--platforms", default="Reference,CPU")
    args = ap.parse_args()
    results = []
    for task in args.tasks.split(","):
        system, x0 = build(task)
        if args.configs:
            X = np.loadtxt(args.configs, ndmin=2)
        else:
            rng = np.random.default_rng(2385)
            X = x0.ravel()[None, :] + 0.003 * rng.standard_normal((args.n, x0.size))
        for plat in args.platforms.split(","):
            try:
                mm.Platform.getPlatformByName(plat)
            except Exception:  # Debian ships the CPU platform in libopenmm-plugins
                print("%-12s %-9s not available (for CPU install Debian libopenmm-plugins); skipped" % (task, plat))
                results.append({"task": task, "platform": plat, "skipped": "platform not available"})
                continue
            for threads in ([1] if plat == "Reference" else [1, 2]):
                s, _ = measure(system, X, plat, threads, args.trials, args.min_seconds)
                r = {"task": task, "platform": plat, "threads": threads, "n_configs": len(X),
                     "configs_per_s": 1.0 / s, "us_per_config": 1e6 * s,
                     "method": "per configuration: setPositions + getState(energy, forces)"}
                results.append(r)
                print("%-12s %-9s threads %d: %10.0f configs/s (%.1f us/config)" % (task, plat, threads, 1 / s, 1e6 * s))
    out = {"schema": "boltzbench.bench_openmm/1", "openmm_version": mm.__version__,
           "host": {"node": platform.node(), "machine": platform.machine(), "cpus": os.cpu_count(),
                    "loadavg_1min": os.getloadavg()[0]},
           "results": results}
    tmp = args.out + ".tmp.%d" % os.getpid()
    with open(tmp, "w") as f:
        json.dump(out, f, indent=1)
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
