#!/usr/bin/python3
"""bench_mmff_rdkit.py — MMFF94s energy+gradient throughput: boltzbench's C kernel beside RDKit's.

What it is: the comparison of issue 24 item 7. For each molecule (default: rot8_46ceda5c8b, 52 atoms,
GEOM-DRUGS test set) it alternates, --rounds times, (a) bench_energy --tasks conf-<hash> (C: the task's
kernel on 1 thread at batches 1, 64, 1024 and the oracle's split on 1 and 2 threads) and (b) RDKit's
C++ MMFF94s force field called per configuration from Python as a sampler would (ff.CalcEnergy(x) then
ff.CalcGrad(x), x a Python list of 3N floats, one call pair per configuration), on 256 configurations
(first CREST conformer + 0.05 Å noise), each RDKit number the best of 5 runs of ≥ 0.5 s. Rounds
alternate so both sides see the same machine load; the ratio of each round is reported and the
best-of-rounds of each side.

Output: JSON (default bench_mmff_rdkit.json, schema boltzbench.bench_mmff_rdkit/1) and one line per
round. Requires Debian python3-rdkit; exits 77 (skipped) without it. What it is not: a test.
Usage: /usr/bin/python3 bench/bench_mmff_rdkit.py --bench build/bench/bench_energy [--out FILE]
       [--molecules rot8_46ceda5c8b,...] [--rounds 3] [--shared ../shared]
"""
import argparse
import json
import os
import platform
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


def rdkit_rate(h, shared):
    d = os.path.join(shared, "datasets/adjoint_sampling-drugs_test/data")
    rows = [ln.split("\t") for ln in open(os.path.join(d, "drugs_test.txt")).read().splitlines()[1:]]
    smi = [r[1] for r in rows if r[2] == h][0]
    b = P.read_xyz_blocks(os.path.join(d, "drugs_test_conformers", h, "crest_conformers.xyz"))
    mol = P.mol_in_xyz_order(smi, b[0][0], b[0][1], h)
    P.set_coords(mol, b[0][1])
    ff = P.force_field(mol)
    rng = np.random.default_rng(2385)
    xs = [list((b[0][1] + rng.normal(0.0, 0.05, b[0][1].shape)).reshape(-1)) for _ in range(256)]
    best = 0.0
    for _ in range(5):
        t0, n = time.perf_counter(), 0
        while time.perf_counter() - t0 < 0.5:
            for x in xs:
                ff.CalcEnergy(x)
                ff.CalcGrad(x)
                n += 1
        best = max(best, n / (time.perf_counter() - t0))
    return mol.GetNumAtoms(), best


def c_rates(bench, h):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "b.json")
        subprocess.run([bench, "--tasks", "conf-" + h, "--out", out], check=True, stdout=subprocess.DEVNULL)
        res = json.load(open(out))["results"]
    rates = {}
    for r in res:
        rates[f"{r['mode']}_b{r['batch']}_t{r['threads']}"] = r["conf_per_s"]
    return rates


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", required=True, help="path of the bench_energy binary")
    ap.add_argument("--out", default="bench_mmff_rdkit.json")
    ap.add_argument("--molecules", default="rot8_46ceda5c8b")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    args = ap.parse_args()
    results = []
    for h in args.molecules.split(","):
        rounds = []
        for k in range(args.rounds):
            c = c_rates(args.bench, h)
            natom, rd = rdkit_rate(h, args.shared)
            ratio = c["kernel_b1_t1"] / rd
            print(f"{h} ({natom} atoms) round {k}: C kernel batch 1 {c['kernel_b1_t1']:.0f} conf/s, "
                  f"batch 1024 {c['kernel_b1024_t1']:.0f}, oracle 2 threads batch 1024 "
                  f"{c['parallel_b1024_t2']:.0f}; RDKit {rd:.0f} conf/s; C/RDKit (batch 1, 1 thread) {ratio:.2f}x")
            rounds.append({"c": c, "rdkit_conf_per_s": rd, "ratio_kernel_b1": ratio})
        results.append({"molecule": h, "atoms": natom, "rounds": rounds,
                        "best_c_kernel_b1": max(r["c"]["kernel_b1_t1"] for r in rounds),
                        "best_rdkit": max(r["rdkit_conf_per_s"] for r in rounds)})
    doc = {"schema": "boltzbench.bench_mmff_rdkit/1", "host": platform.node(), "loadavg": os.getloadavg(),
           "rdkit_version": __import__("rdkit").__version__, "results": results}
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, args.out)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
