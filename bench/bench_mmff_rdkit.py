#!/usr/bin/python3
"""bench_mmff_rdkit.py — MMFF94s energy+gradient throughput: boltzbench's C kernel beside RDKit's.

What it is: the comparison of issue 24 item 7. For each molecule (default: rot8_46ceda5c8b, 52 atoms,
GEOM-DRUGS test set) it alternates, --rounds times, three short measurements so that all see the same
machine load: (a) bench_mmff --task conf-<hash> (C: the task's kernel one configuration a call on 1
thread, and the oracle's split of a 1024-batch on 1 and 2 threads, fixed chunks, bit-identical results
on both), (b) RDKit's C++ MMFF94s force field called per configuration from Python as a sampler would
(ff.CalcEnergy(x) then ff.CalcGrad(x), x a Python list of 3N floats) in 1 process and (c) in 2 processes
side by side (their rates summed: RDKit holds the GIL, so 2 workers means 2 processes), each the best of
3 runs of >= 0.4 s over 256 configurations (first CREST conformer + 0.05 Å noise). Each round gives
  1 thread:  C kernel / RDKit 1 process, per wall second and per CPU second (the latter is what a
             loaded machine disturbs least);
  2 threads: C oracle on 2 threads / RDKit 2 processes, per wall second;
and the medians over rounds are the headline numbers (with the load average before each round).

Output: JSON (default bench_mmff_rdkit.json, schema boltzbench.bench_mmff_rdkit/2) and one line per
round. Requires Debian python3-rdkit; exits 77 (skipped) without it. What it is not: a test.
Usage: /usr/bin/python3 bench/bench_mmff_rdkit.py --bench build/bench/bench_mmff [--out FILE]
       [--molecules rot8_46ceda5c8b,...] [--rounds 7] [--shared ../shared]
"""
import argparse
import json
import multiprocessing as mp
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

try:
    from rdkit import Chem  # noqa: F401
except ImportError:
    print("bench_mmff_rdkit: rdkit not importable (install Debian python3-rdkit); skipped")
    sys.exit(77)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "datasets/conformers"))
import prepare_mmff as P  # noqa: E402  (the same molecule construction as the parameter files)


def rdkit_setup(h, shared):
    """RDKit's MMFF94s force field of molecule h and 256 noisy configurations (Python lists)."""
    d = os.path.join(shared, "datasets/adjoint_sampling-drugs_test/data")
    rows = [ln.split("\t") for ln in open(os.path.join(d, "drugs_test.txt")).read().splitlines()[1:]]
    smi = [r[1] for r in rows if r[2] == h][0]
    b = P.read_xyz_blocks(os.path.join(d, "drugs_test_conformers", h, "crest_conformers.xyz"))
    mol = P.mol_in_xyz_order(smi, b[0][0], b[0][1], h)
    P.set_coords(mol, b[0][1])
    ff = P.force_field(mol)
    rng = np.random.default_rng(2385)
    xs = [list((b[0][1] + rng.normal(0.0, 0.05, b[0][1].shape)).reshape(-1)) for _ in range(256)]
    return mol.GetNumAtoms(), ff, xs


def rdkit_rate(ff, xs, barrier=None):
    """(best configurations per wall second, per CPU second) over 3 runs of >= 0.4 s."""
    if barrier is not None:
        barrier.wait()
    wall = cpu = 0.0
    for _ in range(3):
        t0, c0, n = time.perf_counter(), time.process_time(), 0
        while time.perf_counter() - t0 < 0.4:
            for x in xs:
                ff.CalcEnergy(x)
                ff.CalcGrad(x)
                n += 1
        wall = max(wall, n / (time.perf_counter() - t0))
        cpu = max(cpu, n / (time.process_time() - c0))
    return wall, cpu


def rdkit_worker(h, shared, barrier, out):
    _, ff, xs = rdkit_setup(h, shared)
    out.put(rdkit_rate(ff, xs, barrier))


def rdkit_two_processes(h, shared):
    """Summed configurations per wall second of 2 processes started together at a barrier."""
    ctx = mp.get_context("fork")
    barrier, out = ctx.Barrier(2), ctx.Queue()
    ps = [ctx.Process(target=rdkit_worker, args=(h, shared, barrier, out)) for _ in range(2)]
    for p in ps:
        p.start()
    res = [out.get() for _ in ps]
    for p in ps:
        p.join()
    return sum(r[0] for r in res)


def c_rates(bench, h):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "b.json")
        subprocess.run([bench, "--task", "conf-" + h, "--out", out], check=True, stdout=subprocess.DEVNULL)
        return json.load(open(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", required=True, help="path of the bench_mmff binary")
    ap.add_argument("--out", default="bench_mmff_rdkit.json")
    ap.add_argument("--molecules", default="rot8_46ceda5c8b")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    args = ap.parse_args()
    load_start = os.getloadavg()
    results = []
    for h in args.molecules.split(","):
        natom, ff, xs = rdkit_setup(h, args.shared)
        rounds = []
        for k in range(args.rounds):
            load = os.getloadavg()
            c = c_rates(args.bench, h)
            rd, rd_cpu = rdkit_rate(ff, xs)
            rd2 = rdkit_two_processes(h, args.shared)
            ck, c2 = c["kernel_b1_t1"], c["parallel_b1024_t2"]
            r = {"loadavg": load, "c": c, "rdkit_conf_per_s": rd, "rdkit_conf_per_cpu_s": rd_cpu,
                 "rdkit_2proc_conf_per_s": rd2,
                 "ratio_1thread_wall": ck["conf_per_s"] / rd, "ratio_1thread_cpu": ck["conf_per_cpu_s"] / rd_cpu,
                 "ratio_2threads_wall": c2["conf_per_s"] / rd2}
            print(f"{h} ({natom} atoms) round {k} (load {load[0]:.1f}): C kernel {ck['conf_per_s']:.0f} conf/s "
                  f"({ck['conf_per_cpu_s']:.0f}/CPU s), oracle 2 threads {c2['conf_per_s']:.0f}; RDKit 1 process "
                  f"{rd:.0f} ({rd_cpu:.0f}/CPU s), 2 processes {rd2:.0f}; C/RDKit 1 thread "
                  f"{r['ratio_1thread_wall']:.2f}x wall, {r['ratio_1thread_cpu']:.2f}x CPU; "
                  f"2 threads {r['ratio_2threads_wall']:.2f}x", flush=True)
            rounds.append(r)
        med = {key: statistics.median(r[key] for r in rounds)
               for key in ("ratio_1thread_wall", "ratio_1thread_cpu", "ratio_2threads_wall")}
        print(f"{h}: medians over {len(rounds)} rounds: 1 thread {med['ratio_1thread_wall']:.2f}x wall, "
              f"{med['ratio_1thread_cpu']:.2f}x CPU; 2 threads {med['ratio_2threads_wall']:.2f}x")
        results.append({"molecule": h, "atoms": natom, "rounds": rounds, "median_ratios": med,
                        "best_c_kernel_b1": max(r["c"]["kernel_b1_t1"]["conf_per_s"] for r in rounds),
                        "best_c_2threads_b1024": max(r["c"]["parallel_b1024_t2"]["conf_per_s"] for r in rounds),
                        "best_rdkit": max(r["rdkit_conf_per_s"] for r in rounds),
                        "best_rdkit_2proc": max(r["rdkit_2proc_conf_per_s"] for r in rounds)})
    doc = {"schema": "boltzbench.bench_mmff_rdkit/2", "host": platform.node(), "loadavg_start": load_start,
           "loadavg_end": os.getloadavg(), "rdkit_version": __import__("rdkit").__version__, "results": results}
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, args.out)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
