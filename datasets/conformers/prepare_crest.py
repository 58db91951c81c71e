#!/usr/bin/python3
"""prepare_crest.py — the CREST reference conformers of the conformer tasks, heavy atoms only, in the repo.

What it is: the offline step that copies the references Adjoint Sampling scores against (its
data/drugs_test_conformers/<hash>/crest_conformers.xyz, mirrored under ../shared) into
datasets/conformers/crest/<hash>.heavy.gz, so that the COV/AMR metrics (harness/metrics/conf_cov.c)
need nothing outside the repository. Per GEOM-DRUGS test molecule: the first min(512, K) of its K
conformers (eval.py's max_n_refs), heavy atoms only, coordinates exactly as the xyz file writes them
(Å), atom order = the xyz order (the order the tasks use), each conformer's comment line (energy);
and the molecule's specified stereo (from the SMILES: chiral centres and E/Z double bonds, mapped onto
the xyz atoms as prepare_mmff.py maps them) with its sign in the first conformer whose stereo, as
RDKit assigns it from 3D (AssignStereochemistryFrom3D), restricted to the elements the SMILES specifies, gives its canonical isomeric SMILES
(not always conformer 0: rot6_45a7c2aedf's first CREST conformer has the other imine isomer):
  centre c n1 n2 n3 s   s = sign of det(x_n1 − x_c, x_n2 − x_c, x_n3 − x_c), n1 < n2 < n3 the first
                        three heavy neighbours of c (a centre with fewer is not recorded)
  double a b na nb s    s = sign of cos of the dihedral na–a–b–nb, na (nb) the lowest-index heavy
                        neighbour of a (b) other than b (a)
together with how many of the written conformers agree in every sign. Also writes crest/SHA256SUMS.

What it is not: part of the product (boltzbench reads the committed outputs); a change of the
references (rerun only when the mirrored files change, then commit the outputs together).

Run from the repository root (Debian 12 python3-rdkit 2022.09.3, numpy):
    /usr/bin/python3 datasets/conformers/prepare_crest.py [--shared ../shared]
Deterministic: gzip without name/mtime, the input's own digits.
"""
import argparse
import hashlib
import os
import sys

import numpy as np
from rdkit import Chem

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import prepare_mmff as pm  # noqa: E402

MAX_REFS = 512
FORMAT = "boltzbench-crest-heavy 1"


def raw_blocks(path):
    """(comment, [(symbol, "x", "y", "z")]) per block, the coordinate strings untouched."""
    lines = open(path).read().splitlines()
    out, i = [], 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        n = int(lines[i].split()[0])
        comment = lines[i + 1].strip()
        atoms = [tuple(ln.split()[:4]) for ln in lines[i + 2:i + 2 + n]]
        out.append((comment, atoms))
        i += 2 + n
    return out


def stereo_elements(mol):
    """Specified tetrahedral centres and stereo double bonds: [(kind, atoms)] in mol's atom order."""
    heavy_nbrs = lambda a, skip=-1: sorted(n.GetIdx() for n in mol.GetAtomWithIdx(a).GetNeighbors()
                                           if n.GetAtomicNum() > 1 and n.GetIdx() != skip)
    els = []
    for a in mol.GetAtoms():
        if a.GetChiralTag() in (Chem.ChiralType.CHI_TETRAHEDRAL_CW, Chem.ChiralType.CHI_TETRAHEDRAL_CCW):
            nb = heavy_nbrs(a.GetIdx())
            if len(nb) >= 3:
                els.append(("centre", [a.GetIdx()] + nb[:3]))
    for b in mol.GetBonds():
        if b.GetBondType() == Chem.BondType.DOUBLE and b.GetStereo() != Chem.BondStereo.STEREONONE:
            i, j = b.GetBeginAtomIdx(), b.GetEndAtomIdx()
            ni, nj = heavy_nbrs(i, j), heavy_nbrs(j, i)
            if ni and nj:
                els.append(("double", [i, j, ni[0], nj[0]]))
    return sorted(els, key=lambda e: (e[0], e[1]))


def sign_of(kind, idx, xyz):
    if kind == "centre":
        c, a, b, d = (xyz[k] for k in idx)
        v = np.linalg.det(np.array([a - c, b - c, d - c]))
    else:
        a, b, na, nb = (xyz[k] for k in idx)
        ax = b - a
        u1, u2 = na - a, nb - b
        u1 = u1 - ax * (u1 @ ax) / (ax @ ax)
        u2 = u2 - ax * (u2 @ ax) / (ax @ ax)
        v = u1 @ u2
    return 1 if v > 0 else -1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default="../shared")
    args = ap.parse_args()
    drugs = os.path.join(args.shared, "datasets/adjoint_sampling-drugs_test/data")
    outdir = os.path.join("datasets/conformers/crest")
    os.makedirs(outdir, exist_ok=True)
    sums = []
    for ln in open(os.path.join(drugs, "drugs_test.txt")).read().splitlines()[1:]:
        rot, smi, h = ln.split("\t")
        src = os.path.join(drugs, "drugs_test_conformers", h, "crest_conformers.xyz")
        blocks = raw_blocks(src)
        syms = [a[0] for a in blocks[0][1]]
        xyz0 = np.array([[float(v) for v in a[1:]] for a in blocks[0][1]])
        mol = pm.mol_in_xyz_order(smi, syms, xyz0, h)
        heavy = [k for k, s in enumerate(syms) if s != "H"]
        keep = blocks[:MAX_REFS]
        els = stereo_elements(mol)
        want, ref = Chem.CanonSmiles(smi), None
        for c, (_, atoms) in enumerate(keep):
            m = Chem.Mol(mol)
            pm.set_coords(m, np.array([[float(v) for v in a[1:]] for a in atoms]))
            Chem.AssignStereochemistryFrom3D(m)
            for a in m.GetAtoms():  # compare only what the SMILES specifies
                if mol.GetAtomWithIdx(a.GetIdx()).GetChiralTag() == Chem.ChiralType.CHI_UNSPECIFIED:
                    a.SetChiralTag(Chem.ChiralType.CHI_UNSPECIFIED)
            for b in m.GetBonds():
                if mol.GetBondWithIdx(b.GetIdx()).GetStereo() == Chem.BondStereo.STEREONONE:
                    b.SetStereo(Chem.BondStereo.STEREONONE)
            if Chem.CanonSmiles(Chem.MolToSmiles(Chem.RemoveHs(m))) == want:
                ref = c
                break
        if ref is None:
            sys.exit(f"{h}: no conformer has the stereo of the SMILES")
        xref = np.array([[float(v) for v in a[1:]] for a in keep[ref][1]])
        signs = [sign_of(k, idx, xref) for k, idx in els]
        agree = 0
        for _, atoms in keep:
            x = np.array([[float(v) for v in a[1:]] for a in atoms])
            agree += all(sign_of(k, idx, x) == s for (k, idx), s in zip(els, signs))
        txt = [FORMAT, "molecule " + h, "smiles " + smi,
               "source facebookresearch/adjoint_sampling@2ac8f3effb2d55e18850615cd2b086e85cf7dd07 "
               "data/drugs_test_conformers/%s/crest_conformers.xyz" % h,
               "atoms %d" % len(syms), "heavy %d %s" % (len(heavy), " ".join(map(str, heavy))),
               "stereo %d agreeing %d signs_from_conformer %d" % (len(els), agree, ref)]
        txt += ["%s %s %d" % (k, " ".join(map(str, idx)), s) for (k, idx), s in zip(els, signs)]
        txt.append("conformers %d of %d" % (len(keep), len(blocks)))
        for c, (comment, atoms) in enumerate(keep):
            for k, a in enumerate(atoms):
                if a[0] != syms[k]:
                    sys.exit(f"{h}: conformer {c} atom {k} is {a[0]}, conformer 0 has {syms[k]}")
            txt.append("conformer %d %s" % (c, comment))
            txt += ["%s %s %s" % atoms[k][1:] for k in heavy]
        txt.append("end")
        path = os.path.join(outdir, h + ".heavy.gz")
        pm.gz_write(path, "\n".join(txt) + "\n")
        sums.append("%s  %s" % (hashlib.sha256(open(path, "rb").read()).hexdigest(), h + ".heavy.gz"))
        print(f"{h}: {len(keep)}/{len(blocks)} conformers, {len(heavy)} heavy, stereo {len(els)}, "
              f"agreeing {agree}, signs from conformer {ref}", file=sys.stderr)
    pm.write_text(os.path.join(outdir, "SHA256SUMS"), "\n".join(sorted(sums, key=lambda s: s[66:])) + "\n")


if __name__ == "__main__":
    main()
