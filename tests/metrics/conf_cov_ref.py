#!/usr/bin/python3
"""conf_cov_ref.py — RDKit reference COV/AMR for tests/metrics/test_conf_cov.c (test-only Python).

Writes tests/metrics/data/conf_cov_ref.txt for two molecules: rot3_558669a5be (4 CREST references,
one chiral centre) and rot4_19e5c11829 (54 references, one E double bond), each with 2 × n_ref samples
in the task's atom order: ETKDG embeddings (seeded) and, among them, a mirror image (valid bonds,
wrong stereo), a heavy atom pulled 3 Å away (heavy-atom bonds broken) and a hydrogen pulled 3 Å
away (heavy-atom bonds intact, full graph broken). References: the committed
datasets/conformers/crest/<hash>.heavy.gz. RMSD: rdMolAlign.GetBestRMS on RemoveAllHs copies;
statistics: a copy of Adjoint Sampling's eval_utils.calc_performance_stats. Way "all": samples whose
heavy-atom bond graph (from distances, prepare_mmff.graph_from_xyz) is not the molecule's get NaN
RMSDs; way "valid": only samples whose full graph is the molecule's and whose stereo (RDKit
AssignStereochemistryFrom3D, restricted to the SMILES's stereo elements) gives the SMILES.

Run from the repository root: /usr/bin/python3 tests/metrics/conf_cov_ref.py [--shared ../shared]
"""
import argparse
import warnings
import gzip
import os
import sys

import numpy as np
from rdkit import Chem, RDLogger
from rdkit.Chem import AllChem, rdMolAlign

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../datasets/conformers"))
import prepare_mmff as pm  # noqa: E402

RDLogger.DisableLog("rdApp.*")
warnings.simplefilter("ignore", RuntimeWarning)  # numpy's "All-NaN slice" for failed samples, as in the paper
MOLECULES = [("rot3_558669a5be", 11), ("rot4_19e5c11829", 12)]


def calc_performance_stats(rmsd_array, threshold):
    """eval_utils.calc_performance_stats @ 2ac8f3e (without its print)."""
    if rmsd_array.size == 0 or np.all(np.isnan(rmsd_array)):
        return None
    rmsd_array = np.where(np.isinf(rmsd_array), np.nan, rmsd_array)
    coverage_recall = np.nanmean(np.nanmin(rmsd_array, axis=1, keepdims=True) < threshold, axis=0)
    amr_recall = np.nanmean(np.nanmin(rmsd_array, axis=1))
    coverage_precision = np.nanmean(np.nanmin(rmsd_array, axis=0, keepdims=True) < np.expand_dims(threshold, 1),
                                    axis=1)
    amr_precision = np.nanmean(np.nanmin(rmsd_array, axis=0))
    return coverage_recall, amr_recall, coverage_precision, amr_precision


def read_refs(h, natom):
    lines = gzip.open("datasets/conformers/crest/%s.heavy.gz" % h, "rt").read().splitlines()
    heavy = [int(v) for v in lines[5].split()[2:]]
    xs, i = [], 0
    while i < len(lines):
        if lines[i].startswith("conformer "):
            x = np.zeros((natom, 3))
            for k, a in enumerate(heavy):
                x[a] = [float(v) for v in lines[i + 1 + k].split()]
            xs.append(x)
            i += 1 + len(heavy)
        else:
            i += 1
    return xs


def same_graph(mol, x, heavy_only):
    g = pm.graph_from_xyz([a.GetSymbol() for a in mol.GetAtoms()], x)
    keep = lambda m, b: not heavy_only or (m.GetAtomWithIdx(b.GetBeginAtomIdx()).GetAtomicNum() > 1 and
                                           m.GetAtomWithIdx(b.GetEndAtomIdx()).GetAtomicNum() > 1)
    e = lambda m: {tuple(sorted((b.GetBeginAtomIdx(), b.GetEndAtomIdx()))) for b in m.GetBonds() if keep(m, b)}
    return e(g) == e(mol)


def right_stereo(mol, smi, x):
    m = Chem.Mol(mol)
    pm.set_coords(m, x)
    Chem.AssignStereochemistryFrom3D(m)
    for a in m.GetAtoms():
        if mol.GetAtomWithIdx(a.GetIdx()).GetChiralTag() == Chem.ChiralType.CHI_UNSPECIFIED:
            a.SetChiralTag(Chem.ChiralType.CHI_UNSPECIFIED)
    for b in m.GetBonds():
        if mol.GetBondWithIdx(b.GetIdx()).GetStereo() == Chem.BondStereo.STEREONONE:
            b.SetStereo(Chem.BondStereo.STEREONONE)
    return Chem.CanonSmiles(Chem.MolToSmiles(Chem.RemoveHs(m))) == Chem.CanonSmiles(smi)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default="../shared")
    ap.add_argument("--out", default="tests/metrics/data/conf_cov_ref.txt")
    args = ap.parse_args()
    drugs = os.path.join(args.shared, "datasets/adjoint_sampling-drugs_test/data")
    rows = {r.split("\t")[0]: r.split("\t") for r in open("datasets/conformers/molecules.tsv").read().splitlines()[1:]}
    thr = np.arange(0, 2.5, 0.125)
    out = ["# conf_cov_ref.txt — written by tests/metrics/conf_cov_ref.py (RDKit %s); do not edit" %
           Chem.rdBase.rdkitVersion]
    for k, (h, heavy_pull) in enumerate(MOLECULES):
        smi = rows[h][7]
        blocks = pm.read_xyz_blocks(os.path.join(drugs, "drugs_test_conformers", h, "crest_conformers.xyz"))
        mol = pm.mol_in_xyz_order(smi, blocks[0][0], blocks[0][1], h)
        n = mol.GetNumAtoms()
        refs = read_refs(h, n)
        ng = 2 * len(refs)
        emb = Chem.Mol(mol)
        cids = list(AllChem.EmbedMultipleConfs(emb, numConfs=ng, randomSeed=8800 + k))
        samples = [pm.round6(emb.GetConformer(c).GetPositions()) for c in cids]
        samples[1] = samples[1] * np.array([1.0, 1.0, -1.0])  # mirror image
        hp = [a.GetIdx() for a in mol.GetAtoms() if a.GetAtomicNum() > 1][heavy_pull % 8]
        samples[2] = samples[2].copy()
        samples[2][hp] += 3.0  # a heavy atom pulled away
        hh = [a.GetIdx() for a in mol.GetAtoms() if a.GetAtomicNum() == 1][0]
        samples[3] = samples[3].copy()
        samples[3][hh] += 3.0  # a hydrogen pulled away
        heavy_ok = [same_graph(mol, x, True) for x in samples]
        valid = [same_graph(mol, x, False) and right_stereo(mol, smi, x) for x in samples]
        D = np.full((len(refs), ng), np.nan)
        for i, r in enumerate(refs):
            rm = Chem.Mol(mol)
            pm.set_coords(rm, r)
            ref = Chem.RemoveAllHs(rm)
            for j, x in enumerate(samples):
                pmol = Chem.Mol(mol)
                pm.set_coords(pmol, x)
                D[i, j] = rdMolAlign.GetBestRMS(Chem.RemoveAllHs(pmol), ref)
        all_stats = calc_performance_stats(np.where(np.array(heavy_ok)[None, :], D, np.nan), thr)
        valid_stats = calc_performance_stats(D[:, np.array(valid)], thr)
        out.append("molecule %s %d %d %d %d" % (h, n, ng, sum(heavy_ok), sum(valid)))
        for x in samples:
            out += ["%.6f %.6f %.6f" % tuple(p) for p in x]
        for name, st in (("all", all_stats), ("valid", valid_stats)):
            cr, mr, cp, mp = st
            out.append("%s cov_r %s" % (name, " ".join("%.17g" % v for v in cr)))
            out.append("%s amr_r %.17g" % (name, mr))
            out.append("%s cov_p %s" % (name, " ".join("%.17g" % v for v in cp)))
            out.append("%s amr_p %.17g" % (name, mp))
        print(h, len(refs), ng, sum(heavy_ok), sum(valid), file=sys.stderr)
    pm.write_text(args.out, "\n".join(out) + "\n")


if __name__ == "__main__":
    main()
