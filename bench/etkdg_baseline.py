#!/usr/bin/python3
"""etkdg_baseline.py — the RDKit-ETKDG row of the conformer benchmark, scored by `boltzbench eval`.

What it is: Adjoint Sampling's RDKit baseline (eval.py --rdkit: utils/eval_utils.read_rdkit_mols,
EmbedMultipleConfs(numConfs = 2 × n_ref, randomSeed = 42, pruneRmsThresh = -1, enforceChirality =
True); --optimize adds MMFFOptimizeMolecule, here with mmffVariant MMFF94s) for the conformer tasks
with CREST references. Per molecule: n_ref = min(512, CREST conformers); the molecule is built from
its SMILES and renumbered onto the task's atom order (the committed parameter file's elements and
bonds, matched by graph isomorphism, so no file outside the repository is needed); the conformers are
written as .npy (N × natom·3, Å, the task's atom order: the xyz order of the CREST files) and scored
with `boltzbench eval --task conf-<hash>@1 --samples x.npy --out <dir>/<hash>.json`; the report's
crest_* metrics (docs/metrics.md) are collected into a table per molecule and means per
rotatable-bond count and over all molecules (a molecule without usable sample would count as 0, the
paper's metrics.csv; none occurred here).

What it is not: a test, or part of the product (test-only Python: Debian python3-rdkit, numpy).
Usage (repository root):
  /usr/bin/python3 bench/etkdg_baseline.py --boltzbench build/boltzbench [--set fast|drugs]
        [--molecules h1,h2] [--optimize] [--out-dir DIR] [--threads N]
Output: <out-dir>/<hash>.json reports, <out-dir>/summary.md and summary.json.
"""
import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

try:
    from rdkit import Chem, RDLogger
    from rdkit.Chem import AllChem
except ImportError:
    print("etkdg_baseline.py: python3-rdkit is not installed (apt-get install python3-rdkit); skipped")
    sys.exit(77)
RDLogger.DisableLog("rdApp.*")

SHOW = ["crest_cov_r", "crest_amr_r", "crest_cov_p", "crest_amr_p", "crest_cov_r_valid", "crest_amr_r_valid",
        "crest_cov_p_valid", "crest_amr_p_valid", "crest_cov_r_relaxed", "crest_amr_r_relaxed",
        "crest_cov_p_relaxed", "crest_amr_p_relaxed"]


def task_graph(h):
    """Elements and bonds of the committed parameter file of molecule h."""
    lines = gzip.open("datasets/conformers/mmff94s/%s.params.gz" % h, "rt").read().splitlines()
    i = next(k for k, ln in enumerate(lines) if ln.startswith("atoms "))
    n = int(lines[i].split()[1])
    el = [lines[i + 1 + a].split()[1] for a in range(n)]
    j = next(k for k, ln in enumerate(lines) if ln.startswith("bonds "))
    bonds = [tuple(int(v) for v in lines[j + 1 + b].split()[:2]) for b in range(int(lines[j].split()[1]))]
    return el, bonds


def mol_in_task_order(smi, el, bonds):
    """The SMILES molecule with hydrogens, renumbered so that atom k is the task's atom k."""
    tmpl = Chem.AddHs(Chem.MolFromSmiles(smi))
    g = Chem.RWMol()
    for e in el:
        g.AddAtom(Chem.Atom(e))
    for a, b in bonds:
        g.AddBond(a, b, Chem.BondType.SINGLE)
    bare = Chem.RWMol()
    for a in tmpl.GetAtoms():
        bare.AddAtom(Chem.Atom(a.GetAtomicNum()))
    for b in tmpl.GetBonds():
        bare.AddBond(b.GetBeginAtomIdx(), b.GetEndAtomIdx(), Chem.BondType.SINGLE)
    g, bare = g.GetMol(), bare.GetMol()
    g.UpdatePropertyCache(strict=False)
    bare.UpdatePropertyCache(strict=False)
    match = g.GetSubstructMatch(bare)
    if len(match) != tmpl.GetNumAtoms() or g.GetNumBonds() != tmpl.GetNumBonds():
        raise SystemExit("etkdg_baseline.py: %s does not match the parameter file's graph" % smi)
    order = [0] * len(match)
    for ti, xi in enumerate(match):
        order[xi] = ti
    return Chem.RenumberAtoms(tmpl, order)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--boltzbench", default="build/boltzbench")
    ap.add_argument("--set", default="fast", choices=["fast", "drugs"])
    ap.add_argument("--molecules", default=None, help="comma-separated hash names (default: the set's)")
    ap.add_argument("--optimize", action="store_true", help="MMFF94s-optimise each embedding (eval.py --optimize)")
    ap.add_argument("--out-dir", default="bench/results/etkdg_baseline")
    ap.add_argument("--threads", default="1")
    args = ap.parse_args()
    rows = [r.split("\t") for r in open("datasets/conformers/molecules.tsv").read().splitlines()[1:]]
    pick = set(args.molecules.split(",")) if args.molecules else None
    todo = [r for r in rows if int(r[5]) > 0 and (pick is None and args.set in r[1].split(",") or
                                                  pick is not None and r[0] in pick)]
    os.makedirs(args.out_dir, exist_ok=True)
    results = []
    for r in todo:
        h, rot, ncrest, smi = r[0], int(r[2]), int(r[5]), r[7]
        el, bonds = task_graph(h)
        mol = mol_in_task_order(smi, el, bonds)
        n = 2 * min(512, ncrest)
        cids = list(AllChem.EmbedMultipleConfs(mol, numConfs=n, randomSeed=42, pruneRmsThresh=-1,
                                               enforceChirality=True))
        if args.optimize:
            for c in cids:
                AllChem.MMFFOptimizeMolecule(mol, mmffVariant="MMFF94s", confId=c)
        x = np.array([mol.GetConformer(c).GetPositions() for c in cids]).reshape(len(cids), -1)
        rep = os.path.join(args.out_dir, h + ".json")
        with tempfile.TemporaryDirectory() as td:
            npy = os.path.join(td, "x.npy")
            np.save(npy, x)
            subprocess.run([args.boltzbench, "eval", "--task", "conf-%s@1" % h, "--samples", npy, "--out", rep,
                            "--threads", args.threads], check=True, stdout=subprocess.DEVNULL)
        m = json.load(open(rep))["metrics"]
        vals = {k: m[k]["value"] for k in SHOW}
        results.append({"hash": h, "rotatable_bonds": rot, "n_reference": min(512, ncrest), "n_samples": len(cids),
                        "metrics": vals})
        print("%s rot %d: %d conformers, COV-R %.3f AMR-R %.3f COV-P %.3f AMR-P %.3f" %
              (h, rot, len(cids), vals["crest_cov_r"], vals["crest_amr_r"], vals["crest_cov_p"],
               vals["crest_amr_p"]), file=sys.stderr)
    mean = lambda rs, k: float(np.mean([0.0 if q["metrics"][k] is None else q["metrics"][k] for q in rs]))
    cols = ["crest_cov_r", "crest_amr_r", "crest_cov_p", "crest_amr_p", "crest_cov_r_valid", "crest_cov_r_relaxed",
            "crest_amr_r_relaxed"]
    md = ["| molecule | rot. bonds | refs | samples | " + " | ".join(cols) + " |",
          "|---|---|---|---|" + "---|" * len(cols)]
    for q in results:
        md.append("| %s | %d | %d | %d | " % (q["hash"], q["rotatable_bonds"], q["n_reference"], q["n_samples"]) +
                  " | ".join("%.3f" % q["metrics"][k] if q["metrics"][k] is not None else "–" for k in cols) + " |")
    groups = sorted({q["rotatable_bonds"] for q in results})
    for g in groups:
        rs = [q for q in results if q["rotatable_bonds"] == g]
        md.append("| mean rot %d (%d) | %d | | | " % (g, len(rs), g) + " | ".join("%.3f" % mean(rs, k) for k in cols) +
                  " |")
    md.append("| **mean (%d)** | | | | " % len(results) + " | ".join("%.3f" % mean(results, k) for k in cols) + " |")
    open(os.path.join(args.out_dir, "summary.md"), "w").write("\n".join(md) + "\n")
    json.dump({"schema": "boltzbench.etkdg_baseline/1", "optimize": args.optimize, "set": args.set,
               "rdkit": Chem.rdBase.rdkitVersion, "molecules": results}, open(os.path.join(args.out_dir,
                                                                                           "summary.json"), "w"),
              indent=1)
    print("\n".join(md))


if __name__ == "__main__":
    main()
