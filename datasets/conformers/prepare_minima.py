#!/usr/bin/python3
"""prepare_minima.py — catalogues of MMFF94s local minima for the conformer tasks (issue 24, item 4).

What it is: the offline preparation step that writes, for each molecule of molecules.tsv,

  datasets/conformers/mmff94s/<hash>.minima.json.gz   the distinct low-energy minima of the task's
                                                      energy (MMFF94s, RDKit's options as in the tasks),
                                                      read by the conformer minima metric
                                                      (harness/metrics/confmin_metric.c)

and rewrites datasets/conformers/SHA256SUMS (every .gz under mmff94s/). boltzbench never runs it.

Procedure per molecule (the numbers are the module constants below):
  1. The molecule in the task's atom order (prepare_mmff.load_molecules). Its stereochemistry is the
     SMILES's where it specifies it, else the one of the task's start geometry (the `start` block of
     <hash>.params.gz; RDKit's AssignStereochemistryFrom3D there): the chiral tags and double-bond
     stereo ETKDG must keep, and the stereo descriptors written to the file (what the metric checks
     samples against). One molecule's start geometry has the other isomer of a SMILES-specified
     double bond (rot6_45a7c2aedf, C=N): its catalogue is of the SMILES's isomer.
  2. RUNS ETKDG runs (ETKDGv3, seeds SEED_BASE + 1000·molecule index + run, no pruning; the odd runs
     embed from random coordinates, which reaches minima the even runs' starts miss) of
     starts_per_run(rotatable bonds) = 6·(rot + 1) embeddings each, and — GEOM-DRUGS molecules — the
     first CREST_STARTS CREST conformers as further starts (ETKDG's torsion preferences and hydrogen
     placement miss some minima, e.g. intramolecular hydrogen bonds: mandelic acid's lowest MMFF94s
     minimum is reached from CREST starts only). Every start is minimised with MMFF94s
     (MMFFOptimizeMoleculeConfs, mmffVariant MMFF94s, nonBondedThresh 100, ignoreInterfragInteractions
     True, at most MAX_ITERS iterations). Unconverged minimisations and structures whose stereo
     differs from the molecule's (same geometric test as the metric) are dropped (counted).
  3. Structures within WINDOW + 1 kcal/mol of the lowest are clustered in energy order: a structure
     joins the lowest-energy cluster whose representative is within heavy-atom RMSD < RTOL, else it
     founds a cluster. RMSD: min over the automorphisms of the element-labelled heavy-atom bond graph
     and proper rotations after centring (what RDKit's GetBestRMS does on hydrogen-free molecules,
     and harness/metrics/conf_rmsd.c in C).
  4. Each representative is minimised tightly (ForceField.Minimize, forceTol 1e-8, energyTol 1e-14),
     rounded to 1e-6 Å (the file's %.6f), its energy and gradient recomputed by RDKit at the rounded
     coordinates (CalcEnergy, then CalcGrad), clustered once more the same way (tight minimisation can
     merge two loose ones), and kept when E <= E_lowest + WINDOW.
  5. Boltzmann weights at TEMPERATURE K: w_i = exp(−(E_i − E_0)/kT) / Σ_j exp(−(E_j − E_0)/kT),
     kT = R·300 K with the tasks' R (tasks/molecules/conformers.h); u_i = E_i · (1/kT) as the task
     computes it.
  6. Completeness: each minimum records the first start that reached it (ETKDG starts in run order,
     then the CREST ones); the file gives the number (and Boltzmann weight) of catalogue minima first
     reached by the last half of the ETKDG starts (the last doubling), by the first quarter and half,
     and reached from CREST starts only.

File (gzip without name or time, JSON, schema boltzbench.minima/1 as harness/metrics/minima_io.c
reads it, plus fields of its own): task, rtol, energy_window_kcal_mol, temperature_K, kT_kcal_mol,
n_minima, stereo {centres: [{atom, neighbours [3], sign, cip}], double_bonds: [{atoms [4], trans,
label}]}, completeness {...}, provenance {...}, minima [{u, E_kcal_mol, dE_kcal_mol, weight, count,
first_start, max_abs_grad_kcal_mol_A, x [natom·3] Å}] in ascending energy.

Run from the repository root (Debian 12: apt-get install python3-rdkit; RDKit 2022.09.3):
    nice /usr/bin/python3 datasets/conformers/prepare_minima.py [--shared ../shared] [--only h1,h2]
        [--threads 2] [--out DIR]
Deterministic: fixed seeds, ETKDG and the minimisations give the same structures on any thread count,
no clock in the files, gzip without name/mtime.
"""
import argparse
import gzip
import hashlib
import json
import os
import sys
import time

import numpy as np
from rdkit import Chem
from rdkit.Chem import AllChem, rdDistGeom

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import prepare_mmff as pm  # noqa: E402

WINDOW = 3.0  # kcal/mol above the lowest minimum
RTOL = 0.5  # Å, heavy-atom symmetry-aware RMSD: distinct minima are at least this far apart
TEMPERATURE = 300.0
KT = (0.00831446261815324 / 4.184) * TEMPERATURE  # as tasks/molecules/conformers.h computes it
RUNS = 4
SEED_BASE = 7000000
CREST_STARTS = 32
MAX_ITERS = 10000


def starts_per_run(rot):
    return 6 * (rot + 1)


def read_start(path):
    """The `start` block of a parameter file: the task's start geometry (Å)."""
    lines = gzip.open(path, "rt").read().splitlines()
    k = next(i for i, ln in enumerate(lines) if ln.startswith("start "))
    n = int(lines[k].split()[1])
    return np.array([[float(v) for v in ln.split()] for ln in lines[k + 1 : k + 1 + n]])


# ---- stereo: descriptors from a geometry, and the geometric check the metric repeats in C ----------


def stereo_descriptors(mol, xyz):
    """Chiral centres and stereo double bonds of mol at geometry xyz (AssignStereochemistryFrom3D).
    A centre: atom c, its first three neighbours (index order) a, b, d and the sign of
    (a − c)·((b − c) × (d − c)); a double bond: its stereo atoms i, j, k, l (i−j=k−l) and whether the
    dihedral i-j-k-l is trans (|φ| > 90°). Also the CIP / E-Z labels, and the labels the SMILES
    specified (before 3D assignment), to report disagreements."""
    t = Chem.Mol(mol)
    Chem.AssignStereochemistry(t, cleanIt=True, force=True)
    smiles_cip = {a.GetIdx(): a.GetProp("_CIPCode") for a in t.GetAtoms() if a.HasProp("_CIPCode")}
    m = Chem.Mol(t)
    pm.set_coords(m, xyz)
    Chem.AssignStereochemistryFrom3D(m)
    # a double bond the SMILES specifies keeps the SMILES's stereo even where the start geometry has the
    # other isomer (rot6_45a7c2aedf: the first CREST conformer is the other imine isomer)
    flipped = set()
    for tb in t.GetBonds():
        if tb.GetStereo() in (Chem.BondStereo.STEREOE, Chem.BondStereo.STEREOZ):
            b = m.GetBondWithIdx(tb.GetIdx())
            if b.GetStereo() != tb.GetStereo():
                b.SetStereoAtoms(*tb.GetStereoAtoms())
                b.SetStereo(tb.GetStereo())
                flipped.add(b.GetIdx())
    centres, bonds = [], []
    for a in m.GetAtoms():
        if a.GetChiralTag() in (Chem.ChiralType.CHI_TETRAHEDRAL_CW, Chem.ChiralType.CHI_TETRAHEDRAL_CCW):
            c = a.GetIdx()
            nb = sorted(n.GetIdx() for n in a.GetNeighbors())[:3]
            v = signed_volume(xyz, c, nb)
            centres.append({"atom": c, "neighbours": nb, "sign": 1 if v > 0 else -1,
                            "cip": a.GetProp("_CIPCode") if a.HasProp("_CIPCode") else "?"})
    for b in m.GetBonds():
        if b.GetBondType() != Chem.BondType.DOUBLE or b.GetStereo() == Chem.BondStereo.STEREONONE:
            continue
        sa = list(b.GetStereoAtoms())
        if len(sa) != 2:
            continue
        q = [sa[0], b.GetBeginAtomIdx(), b.GetEndAtomIdx(), sa[1]]
        label = {Chem.BondStereo.STEREOE: "E", Chem.BondStereo.STEREOZ: "Z"}.get(b.GetStereo(), "?")
        bonds.append({"atoms": q, "trans": int(abs(dihedral(xyz, q)) > 90.0) ^ (b.GetIdx() in flipped), "label": label})
    mismatch = sum(1 for c in centres if c["atom"] in smiles_cip and smiles_cip[c["atom"]] != c["cip"])
    unspecified = sum(1 for c in centres if c["atom"] not in smiles_cip)
    vs = {"smiles_centres": len(smiles_cip), "centres_unspecified_in_smiles": unspecified,
          "centres_differing_from_smiles": mismatch}
    if flipped:
        vs["double_bonds_where_the_start_geometry_differs"] = len(flipped)
    return m, {"centres": centres, "double_bonds": bonds}, vs


def signed_volume(x, c, nb):
    a, b, d = (x[n] - x[c] for n in nb)
    return float(np.dot(a, np.cross(b, d)))


def dihedral(x, q):
    p0, p1, p2, p3 = (x[i] for i in q)
    b0, b1, b2 = p0 - p1, p2 - p1, p3 - p2
    b1n = b1 / np.linalg.norm(b1)
    v = b0 - np.dot(b0, b1n) * b1n
    w = b2 - np.dot(b2, b1n) * b1n
    return float(np.degrees(np.arctan2(np.dot(np.cross(b1n, v), w), np.dot(v, w))))


def stereo_ok(st, x):
    for c in st["centres"]:
        if (signed_volume(x, c["atom"], c["neighbours"]) > 0) != (c["sign"] > 0):
            return False
    for b in st["double_bonds"]:
        if int(abs(dihedral(x, b["atoms"])) > 90.0) != b["trans"]:
            return False
    return True


# ---- symmetry-aware heavy-atom RMSD ----------------------------------------------------------------


def heavy_automorphisms(mol):
    """Heavy-atom indices and the automorphisms of the element-labelled heavy-atom bond graph, as
    index arrays into the heavy list."""
    heavy = [a.GetIdx() for a in mol.GetAtoms() if a.GetAtomicNum() > 1]
    pos = {h: k for k, h in enumerate(heavy)}
    rw = Chem.RWMol()
    for h in heavy:
        rw.AddAtom(Chem.Atom(mol.GetAtomWithIdx(h).GetAtomicNum()))
    for b in mol.GetBonds():
        i, j = b.GetBeginAtomIdx(), b.GetEndAtomIdx()
        if i in pos and j in pos:
            rw.AddBond(pos[i], pos[j], Chem.BondType.SINGLE)
    g = rw.GetMol()
    g.UpdatePropertyCache(strict=False)
    auts = g.GetSubstructMatches(g, uniquify=False, maxMatches=1000000, useChirality=False)
    return np.array(heavy), np.array(sorted(auts), dtype=np.int64)


class Rmsd:
    def __init__(self, mol):
        self.heavy, self.auts = heavy_automorphisms(mol)

    def prep(self, x):
        h = x[self.heavy]
        return h - h.mean(0)

    def to_many(self, y, X):
        """RMSD of centred heavy coordinates y [H,3] to each of X [K,H,3] (centred)."""
        if len(X) == 0:
            return np.zeros(0)
        X = np.asarray(X)
        Yp = y[self.auts]  # [A,H,3]: y with its atoms permuted by each automorphism
        M = np.einsum("khi,ahj->kaij", X, Yp)
        U, S, Vt = np.linalg.svd(M)
        d = np.sign(np.linalg.det(U @ Vt))
        tr = S[..., 0] + S[..., 1] + d * S[..., 2]
        sq = (X**2).sum((1, 2))[:, None] + (y**2).sum() - 2.0 * tr
        return np.sqrt(np.maximum(sq, 0.0) / len(self.heavy)).min(1)


def cluster(items, rm):
    """items: dicts with E, x, first, count, sorted by E. Greedy: join the lowest representative
    within RMSD < RTOL, else found a cluster. Returns the representatives (count and first merged)."""
    reps, repx = [], []
    for it in items:
        y = rm.prep(it["x"])
        r = rm.to_many(y, repx)
        hit = np.nonzero(r < RTOL)[0]
        if len(hit):
            rep = reps[hit[0]]
            rep["count"] += it["count"]
            rep["first"] = min(rep["first"], it["first"])
        else:
            reps.append(dict(it))
            repx.append(y)
    return reps


# ---- minimisation --------------------------------------------------------------------------------


def embed_and_minimise(mol, n, seed, random_coords, threads):
    """ETKDGv3 embeddings (seeded; random_coords: from random coordinates instead of the distance
    matrix's eigenvectors) minimised with MMFF94s: list of (xyz, E, converged)."""
    m = Chem.Mol(mol)
    m.RemoveAllConformers()
    p = rdDistGeom.ETKDGv3()
    p.randomSeed = seed
    p.numThreads = threads
    p.pruneRmsThresh = -1.0
    p.useRandomCoords = random_coords
    cids = list(rdDistGeom.EmbedMultipleConfs(m, n, p))
    return minimise_confs(m, cids, threads), n - len(cids)


def minimise_confs(m, cids, threads):
    res = AllChem.MMFFOptimizeMoleculeConfs(m, numThreads=threads, maxIters=MAX_ITERS, mmffVariant="MMFF94s",
                                            nonBondedThresh=100.0, ignoreInterfragInteractions=True)
    return [(m.GetConformer(c).GetPositions(), e, nc == 0) for c, (nc, e) in zip(cids, res)]


def polish(mol, x):
    """Tight MMFF94s minimisation, rounded to 1e-6 Å; RDKit's E and max |∇E| at the rounded point."""
    m = Chem.Mol(mol)
    pm.set_coords(m, x)
    ff = pm.force_field(m)
    ff.Initialize()
    ff.Minimize(maxIts=100000, forceTol=1e-8, energyTol=1e-14)
    xr = pm.round6(np.array(ff.Positions()).reshape(-1, 3))
    pos = [float(v) for v in xr.reshape(-1)]
    e = ff.CalcEnergy(pos)  # energy first: CalcGrad reuses the positions of the last CalcEnergy
    g = ff.CalcGrad(pos)
    return xr, e, float(np.max(np.abs(g)))


# ---- one molecule --------------------------------------------------------------------------------


def catalogue(m, idx, params_dir, threads, log):
    t0 = time.time()
    mol0 = m["mol"]
    start = read_start(os.path.join(params_dir, m["hash"] + ".params.gz"))
    mol, stereo, stereo_vs_smiles = stereo_descriptors(mol0, start)
    mol.RemoveAllConformers()
    rm = Rmsd(mol)
    per_run = starts_per_run(m["rot"])
    structs, dropped = [], {"embedding_failed": 0, "not_converged": 0, "wrong_stereo": 0}
    for r in range(RUNS):
        got, failed = embed_and_minimise(mol, per_run, SEED_BASE + 1000 * idx + r, r % 2 == 1, threads)
        dropped["embedding_failed"] += failed
        for k, (x, e, conv) in enumerate(got):
            if not conv:
                dropped["not_converged"] += 1
            elif not stereo_ok(stereo, x):
                dropped["wrong_stereo"] += 1
            else:
                structs.append({"E": e, "x": x, "first": r * per_run + k, "count": 1})
    n_total = RUNS * per_run
    if m.get("crest"):  # the CREST conformers as further starts (after the ETKDG ones)
        cm = Chem.Mol(mol)
        for _, xyz in pm.read_xyz_blocks(m["crest"])[:CREST_STARTS]:
            c = Chem.Conformer(cm.GetNumAtoms())
            for k, p in enumerate(xyz):
                c.SetAtomPosition(k, [float(v) for v in p])
            cm.AddConformer(c, assignId=True)
        got = minimise_confs(cm, [c.GetId() for c in cm.GetConformers()], threads)
        for k, (x, e, conv) in enumerate(got):
            if not conv:
                dropped["not_converged"] += 1
            elif not stereo_ok(stereo, x):
                dropped["wrong_stereo"] += 1
            else:
                structs.append({"E": e, "x": x, "first": n_total + k, "count": 1})
    if not structs:
        sys.exit(f"{m['hash']}: no usable minimised embedding")
    elow = min(s["E"] for s in structs)
    cand = sorted((s for s in structs if s["E"] <= elow + WINDOW + 1.0), key=lambda s: (s["E"], s["first"]))
    reps = cluster(cand, rm)
    for rep in reps:
        rep["x"], rep["E"], rep["gmax"] = polish(mol, rep["x"])
    reps = cluster(sorted(reps, key=lambda s: (s["E"], s["first"])), rm)
    e0 = reps[0]["E"]
    kept = [r for r in reps if r["E"] <= e0 + WINDOW]
    bw = np.exp(-(np.array([r["E"] for r in kept]) - e0) / KT)
    bw /= bw.sum()
    def share(lo, hi):  # minima (and their weight) first reached by starts lo <= first < hi
        sel = [w for r, w in zip(kept, bw) if lo <= r["first"] < hi]
        return len(sel), float(sum(sel))

    half, crest = share(n_total // 2, n_total), share(n_total, 1 << 62)
    comp = {"etkdg_starts": n_total, "runs": RUNS, "starts_per_run": per_run,
            "crest_starts": sum(1 for s in structs if s["first"] >= n_total) if m.get("crest") else 0,
            "found_by_first_quarter_of_etkdg": share(0, n_total // 4)[0],
            "found_by_first_half_of_etkdg": share(0, n_total // 2)[0],
            "new_in_last_doubling": half[0], "weight_new_in_last_doubling": half[1],
            "found_only_from_crest": crest[0], "weight_found_only_from_crest": crest[1],
            "dropped": dropped, "usable_minimisations": len(structs)}
    dt = time.time() - t0
    log(f"{m['hash']}: rot {m['rot']}, {mol.GetNumAtoms()} atoms, {len(rm.auts)} automorphisms, "
        f"{n_total} starts -> {len(kept)} minima within {WINDOW} kcal/mol, {comp['new_in_last_doubling']} new in "
        f"the last doubling, {comp['found_only_from_crest']} only from CREST starts, {dt:.1f} s")
    return mol, kept, bw, stereo, stereo_vs_smiles, comp, len(rm.auts), dt


def catalogue_text(m, idx, mol, kept, bw, stereo, stereo_vs_smiles, comp, n_auts):
    e0 = kept[0]["E"]
    ikT = 1.0 / KT
    head = {"schema": "boltzbench.minima/1", "task": f"conf-{m['hash']}@1", "molecule": m["hash"],
            "rtol": RTOL, "rmsd": "heavy-atom RMSD (A), minimised over the automorphisms of the element-labelled "
            "heavy-atom bond graph and proper rotations after centring; distinct minima: RMSD >= rtol",
            "energy_unit": "kcal/mol", "energy_window_kcal_mol": WINDOW, "temperature_K": TEMPERATURE,
            "kT_kcal_mol": KT, "n_minima": len(kept), "natom": mol.GetNumAtoms(), "automorphisms": n_auts,
            "stereo": stereo, "stereo_vs_smiles": stereo_vs_smiles, "completeness": comp,
            "provenance": {"script": "datasets/conformers/prepare_minima.py", "rdkit": Chem.rdBase.rdkitVersion,
                           "etkdg": "ETKDGv3, pruneRmsThresh -1; odd runs useRandomCoords",
                           "minimisation": "MMFFOptimizeMoleculeConfs maxIters %d" % MAX_ITERS,
                           "seeds": [SEED_BASE + 1000 * idx + r for r in range(RUNS)],
                           "force_field": "MMFF94s, nonBondedThresh 100, ignoreInterfragInteractions True",
                           "polish": "Minimize(maxIts 100000, forceTol 1e-8, energyTol 1e-14), rounded to 1e-6 A"}}
    text = json.dumps(head, sort_keys=False, separators=(",", ":"))[:-1]
    rows = []
    for r, w in zip(kept, bw):
        xs = ",".join("%.6f" % v for v in r["x"].reshape(-1))
        rows.append('{"u":%r,"E_kcal_mol":%r,"dE_kcal_mol":%r,"weight":%r,"count":%d,"first_start":%d,'
                    '"max_abs_grad_kcal_mol_A":%r,"x":[%s]}' % (r["E"] * ikT, r["E"], r["E"] - e0, float(w),
                                                                r["count"], r["first"], r["gmax"], xs))
    return text + ',"minima":[\n' + ",\n".join(rows) + "\n]}\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default="../shared", help="the shared folder holding datasets/")
    ap.add_argument("--only", default=None, help="comma-separated hash names: only these (SHA256SUMS not rewritten)")
    ap.add_argument("--threads", type=int, default=2, help="RDKit threads (results do not depend on it)")
    ap.add_argument("--out", default=None, help="folder of the files (default datasets/conformers/mmff94s)")
    args = ap.parse_args()
    root = os.getcwd()
    params_dir = os.path.join(root, "datasets/conformers/mmff94s")
    outdir = args.out or params_dir
    only = set(args.only.split(",")) if args.only else None
    t0 = time.time()
    summary = []
    for idx, m in enumerate(pm.load_molecules(args.shared)):
        if only and m["hash"] not in only:
            continue
        res = catalogue(m, idx, params_dir, args.threads, lambda s: print(s, file=sys.stderr, flush=True))
        mol, kept, bw, stereo, svs, comp, n_auts, dt = res
        pm.gz_write(os.path.join(outdir, m["hash"] + ".minima.json.gz"),
                    catalogue_text(m, idx, mol, kept, bw, stereo, svs, comp, n_auts))
        summary.append((m["hash"], m["rot"], len(kept), comp["new_in_last_doubling"], dt))
    print(f"total {time.time() - t0:.0f} s, {len(summary)} molecules", file=sys.stderr)
    if only or args.out:
        return
    names = sorted(f for f in os.listdir(params_dir) if f.endswith(".gz"))
    lines = ["%s  %s" % (hashlib.sha256(open(os.path.join(params_dir, f), "rb").read()).hexdigest(), f)
             for f in names]
    pm.write_text(os.path.join(root, "datasets/conformers/SHA256SUMS"), "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
