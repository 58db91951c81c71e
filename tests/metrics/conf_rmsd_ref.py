#!/usr/bin/python3
"""conf_rmsd_ref.py — RDKit reference values for tests/metrics/test_conf_rmsd.c (test-only Python).

Writes tests/metrics/data/conf_rmsd_ref.txt: for a few conformer-task molecules chosen for their
symmetric groups (carboxylic acid, nitro, CF3, phenyl, N(CH3)2, gem-dimethyl), their elements and bonds,
four geometries each in the task's atom order (the first two CREST conformers and two seeded ETKDG embeddings; SPICE
molecules and 4-t-butylbenzoate: four ETKDG embeddings), rounded to 1e-6 Å, and for every pair RDKit's
rdMolAlign.GetBestRMS(probe, ref) on Chem.RemoveAllHs copies (as Adjoint Sampling's eval_utils
does; symmetrizeConjugatedTerminalGroups at its default, True), plus the number of self-matches of
the element-labelled heavy-atom graph (GetSubstructMatches(uniquify=False) of the all-single-bond,
element-only copy).

Run from the repository root (Debian 12 python3-rdkit 2022.09.3):
    /usr/bin/python3 tests/metrics/conf_rmsd_ref.py [--shared ../shared]
Deterministic (fixed seeds); the output is committed.
"""
import argparse
import os
import sys

import numpy as np
from rdkit import Chem, RDLogger
from rdkit.Chem import AllChem, rdMolAlign

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../datasets/conformers"))
import prepare_mmff as pm  # noqa: E402

RDLogger.DisableLog("rdApp.*")

# (name, SMILES) of extra molecules outside the task set: a t-butyl group next to a carboxylate
EXTRA = [("tbutyl_benzoate", "CC(C)(C)c1ccc(C(=O)[O-])cc1")]
MOLECULES = ["rot3_558669a5be", "rot6_79b63d06c9", "rot9_cd3be956a5", "rot6_49ec388801", "rot9_b99538e518",
             "rot5_76e077cdbb", "rot10_abb13f1064", "rot0_ee90f3f4f1", "rot2_a576d9f19c"]


def with_coords(mol, xyz):
    m = Chem.Mol(mol)
    pm.set_coords(m, xyz)
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default="../shared")
    ap.add_argument("--out", default="tests/metrics/data/conf_rmsd_ref.txt")
    args = ap.parse_args()
    drugs = os.path.join(args.shared, "datasets/adjoint_sampling-drugs_test/data")
    rows = {r.split("\t")[0]: r.split("\t") for r in open("datasets/conformers/molecules.tsv").read().splitlines()[1:]}
    out = ["# conf_rmsd_ref.txt — written by tests/metrics/conf_rmsd_ref.py (RDKit %s); do not edit" %
           Chem.rdBase.rdkitVersion]
    for k, h in enumerate(MOLECULES + [e[0] for e in EXTRA]):
        smi = rows[h][7] if h in rows else dict(EXTRA)[h]
        if h in rows and "drugs" in rows[h][1]:
            blocks = pm.read_xyz_blocks(os.path.join(drugs, "drugs_test_conformers", h, "crest_conformers.xyz"))
            mol = pm.mol_in_xyz_order(smi, blocks[0][0], blocks[0][1], h)
            geoms = [pm.round6(blocks[c][1]) for c in range(min(2, len(blocks)))]
        else:
            mol = Chem.AddHs(Chem.MolFromSmiles(smi))
            geoms = []
        emb = Chem.Mol(mol)
        cids = AllChem.EmbedMultipleConfs(emb, numConfs=4 - len(geoms), randomSeed=7100 + k)
        geoms += [pm.round6(emb.GetConformer(c).GetPositions()) for c in cids]
        heavy = Chem.RemoveAllHs(mol)
        b = pm.bare(heavy)
        n_el = len(b.GetSubstructMatches(b, uniquify=False, maxMatches=1000000))
        out.append("molecule %s %d %d %d %d" % (h, mol.GetNumAtoms(), mol.GetNumBonds(), len(geoms), n_el))
        out.append(" ".join(a.GetSymbol() for a in mol.GetAtoms()))
        out += ["%d %d" % (bd.GetBeginAtomIdx(), bd.GetEndAtomIdx()) for bd in mol.GetBonds()]
        for g in geoms:
            out += ["%.6f %.6f %.6f" % tuple(p) for p in g]
        for i in range(len(geoms)):
            for j in range(len(geoms)):
                if i == j:
                    continue
                prb = Chem.RemoveAllHs(with_coords(mol, geoms[i]))
                ref = Chem.RemoveAllHs(with_coords(mol, geoms[j]))
                out.append("rmsd %d %d %.17g" % (i, j, rdMolAlign.GetBestRMS(prb, ref)))
        print(h, n_el, file=sys.stderr)
    pm.write_text(args.out, "\n".join(out) + "\n")


if __name__ == "__main__":
    main()
