#!/usr/bin/python3
"""prepare_mmff.py — MMFF94s parameter files and RDKit reference energies for the conformer tasks.

What it is: the one-off, offline dataset-preparation step of the conformer tasks (issue 24). For each
molecule it builds the RDKit molecule in the atom order of its reference geometry, assigns MMFF94s
types and parameters with RDKit's MMFFGetMoleculeProperties(mol, mmffVariant='MMFF94s'), and writes

  datasets/conformers/mmff94s/<hash>.params.gz   every interaction term with its parameters, atom
                                                 elements, masses, MMFF types and partial charges
                                                 (read at run time by tasks/molecules/mmff_params.c)
  datasets/conformers/mmff94s/<hash>.ref.gz      several geometries with RDKit's CalcEnergy and
                                                 CalcGrad there and the energy of each term (tests)
  datasets/conformers/molecules.tsv              the shipped molecules and their sets
  tasks/molecules/conformer_list.c/.inc          the task table compiled into the library

What it is not: part of the product. boltzbench reads the committed outputs and never runs Python or
RDKit; rerun this only to change the molecule sets (then commit all outputs together).

Run from the repository root (Debian 12: apt-get install python3-rdkit; RDKit 2022.09.3):
    /usr/bin/python3 datasets/conformers/prepare_mmff.py [--shared ../shared]
Deterministic: no clock, fixed seeds, gzip without name/mtime.

Molecules (see datasets/conformers/README.md): "drugs" = the 80 GEOM-DRUGS test molecules of
Adjoint Sampling (drugs_test.txt, 10 per rotatable-bond count 3..10), atom order = the order of their
CREST xyz files; "fast" = 10 molecules with 0..8 rotatable bonds for fast tests: the smallest test
molecule of each count 3..8 and four SPICE training molecules (spice_train.txt) with 0, 1, 2, 2
rotatable bonds (the test set has none below 3), atom order = RDKit's (SMILES order, then hydrogens).

Force-field conventions written into each file (RDKit's defaults, MMFFGetMoleculeForceField with
nonBondedThresh = 100 Å, ignoreInterfragInteractions = True): constant dielectric, ε = 1; 1-4
electrostatics × 0.75; van der Waals and electrostatics between atoms 3 or more bonds apart
(shortest path); an electrostatic pair is skipped when a charge is zero (|q| < 1e-10).
"""
import argparse
import gzip
import hashlib
import io
import os
import shutil
import subprocess
import sys

import numpy as np
from rdkit import Chem, RDLogger
from rdkit.Chem import AllChem, rdMolTransforms  # noqa: F401  (AllChem registers the MMFF helpers)
from rdkit.Chem import rdForceFieldHelpers as ffh

RDLogger.DisableLog("rdApp.*")

FORMAT_VERSION = 1
LINEAR_TYPES = {4, 53, 61}  # MMFFPROP 'lin' = 1 (RDKit Code/ForceField/MMFF/Params.cpp)
TORSION_BOND_SMARTS = "[!$(*#*)&!D1]~[!$(*#*)&!D1]"  # RDKit MMFF Builder.cpp DefaultTorsionBondSmarts
TERMS = ["bond", "angle", "stretch_bend", "oop", "torsion", "vdw", "ele"]
SPICE_ELEMENTS = {"C", "H", "N", "O", "S", "F", "Cl"}


def gz_write(path, text):
    """gzip -9 -n equivalent: no name, mtime 0; atomic (temp + rename)."""
    tmp = path + ".tmp"
    with open(tmp, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=raw, mtime=0) as f:
            f.write(text.encode())
        raw.flush()
        os.fsync(raw.fileno())
    os.replace(tmp, path)


def write_text(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_xyz_blocks(path):
    """All blocks of a concatenated XYZ file: list of (symbols, coords[n,3])."""
    lines = open(path).read().splitlines()
    blocks, i = [], 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        n = int(lines[i].split()[0])
        body = lines[i + 2 : i + 2 + n]
        syms = [ln.split()[0] for ln in body]
        xyz = np.array([[float(v) for v in ln.split()[1:4]] for ln in body])
        blocks.append((syms, xyz))
        i += 2 + n
    return blocks


def bare(mol):
    """Element-labelled graph: same atoms, every bond single, no charges (for graph matching)."""
    rw = Chem.RWMol()
    for a in mol.GetAtoms():
        rw.AddAtom(Chem.Atom(a.GetAtomicNum()))
    for b in mol.GetBonds():
        rw.AddBond(b.GetBeginAtomIdx(), b.GetEndAtomIdx(), Chem.BondType.SINGLE)
    m = rw.GetMol()
    m.UpdatePropertyCache(strict=False)
    return m


def graph_from_xyz(syms, xyz):
    """Bonds from distances: d < r_cov(i) + r_cov(j) + 0.45 Å."""
    pt = Chem.GetPeriodicTable()
    rw = Chem.RWMol()
    for s in syms:
        rw.AddAtom(Chem.Atom(pt.GetAtomicNumber(s)))
    rc = [pt.GetRcovalent(pt.GetAtomicNumber(s)) for s in syms]
    n = len(syms)
    for i in range(n):
        for j in range(i + 1, n):
            if np.linalg.norm(xyz[i] - xyz[j]) < rc[i] + rc[j] + 0.45:
                rw.AddBond(i, j, Chem.BondType.SINGLE)
    m = rw.GetMol()
    m.UpdatePropertyCache(strict=False)
    return m


def mol_in_xyz_order(smiles, syms, xyz, name):
    """The SMILES molecule (with H) renumbered onto the xyz atoms by graph isomorphism."""
    tmpl = Chem.AddHs(Chem.MolFromSmiles(smiles))
    g = graph_from_xyz(syms, xyz)
    if g.GetNumAtoms() != tmpl.GetNumAtoms() or g.GetNumBonds() != tmpl.GetNumBonds():
        sys.exit(f"{name}: xyz graph has {g.GetNumAtoms()} atoms/{g.GetNumBonds()} bonds, "
                 f"SMILES {tmpl.GetNumAtoms()}/{tmpl.GetNumBonds()}")
    match = g.GetSubstructMatch(bare(tmpl))
    if len(match) != tmpl.GetNumAtoms():
        sys.exit(f"{name}: the SMILES graph does not match the xyz connectivity")
    order = [0] * len(match)
    for ti, xi in enumerate(match):
        order[xi] = ti
    mol = Chem.RenumberAtoms(tmpl, order)
    for k, a in enumerate(mol.GetAtoms()):
        assert a.GetSymbol() == syms[k], (name, k)
    return mol


def set_coords(mol, xyz):
    mol.RemoveAllConformers()
    conf = Chem.Conformer(mol.GetNumAtoms())
    for k, p in enumerate(xyz):
        conf.SetAtomPosition(k, [float(v) for v in p])
    mol.AddConformer(conf, assignId=True)


def props(mol):
    mp = ffh.MMFFGetMoleculeProperties(mol, mmffVariant="MMFF94s")
    if mp is None:
        raise ValueError("no MMFF94s parameters")
    return mp


def terms_of(mol, mp):
    """Every term exactly as RDKit's MMFF Builder enumerates them, with its parameters."""
    n = mol.GetNumAtoms()
    types = [mp.GetMMFFAtomType(i) for i in range(n)]
    out = {t: [] for t in ["bond", "angle", "stbn", "oop", "torsion"]}
    for b in mol.GetBonds():
        i, j = b.GetBeginAtomIdx(), b.GetEndAtomIdx()
        p = mp.GetMMFFBondStretchParams(mol, i, j)
        if p:
            out["bond"].append((i, j, p[1], p[2]))
    for j in range(n):
        aj = mol.GetAtomWithIdx(j)
        if aj.GetDegree() == 1:
            continue
        nb = [a.GetIdx() for a in aj.GetNeighbors()]
        lin = types[j] in LINEAR_TYPES
        for x in range(len(nb)):
            for y in range(x + 1, len(nb)):
                i, k = nb[x], nb[y]
                pa = mp.GetMMFFAngleBendParams(mol, i, j, k)
                if pa:
                    out["angle"].append((i, j, k, pa[1], pa[2], int(lin)))
                if lin:
                    continue
                ps = mp.GetMMFFStretchBendParams(mol, i, j, k)
                if ps:
                    r0a = mp.GetMMFFBondStretchParams(mol, i, j)[2]
                    r0b = mp.GetMMFFBondStretchParams(mol, j, k)[2]
                    out["stbn"].append((i, j, k, ps[1], ps[2], r0a, r0b, pa[2]))
        if aj.GetDegree() == 3:
            a, b, c = nb
            koop = mp.GetMMFFOopBendParams(mol, a, j, b, c)
            if koop is not None:
                for q in ((a, j, b, c), (a, j, c, b), (b, j, c, a)):
                    out["oop"].append(q + (koop,))
    query = Chem.MolFromSmarts(TORSION_BOND_SMARTS)
    hyb = (Chem.HybridizationType.SP2, Chem.HybridizationType.SP3)
    for j, k in mol.GetSubstructMatches(query, uniquify=True, maxMatches=1000):
        aj, ak = mol.GetAtomWithIdx(j), mol.GetAtomWithIdx(k)
        if aj.GetHybridization() not in hyb or ak.GetHybridization() not in hyb:
            continue
        bond = mol.GetBondBetweenAtoms(j, k)
        for b1 in aj.GetBonds():
            if b1.GetIdx() == bond.GetIdx():
                continue
            i = b1.GetOtherAtomIdx(j)
            for b2 in ak.GetBonds():
                if b2.GetIdx() in (bond.GetIdx(), b1.GetIdx()):
                    continue
                l = b2.GetOtherAtomIdx(k)
                if l == i:
                    continue
                pt = mp.GetMMFFTorsionParams(mol, i, j, k, l)
                if pt:
                    out["torsion"].append((i, j, k, l, pt[1], pt[2], pt[3]))
    return types, out


def vdw_table(mol, mp, types):
    """R*_ij and ε_ij (after the donor-acceptor scaling) per pair of MMFF types present."""
    first = {}
    for i, t in enumerate(types):
        first.setdefault(t, i)
    ts = sorted(first)
    rows = []
    for x, ta in enumerate(ts):
        for tb in ts[x:]:
            p = mp.GetMMFFVdWParams(first[ta], first[tb])
            rows.append((ta, tb, p[2], p[3]))
    return rows


def params_text(name, smiles, rot, source, mol, mp, start):
    types, t = terms_of(mol, mp)
    r = repr
    L = [f"boltzbench-mmff94s {FORMAT_VERSION}",
         f"molecule {name}", f"smiles {smiles}", f"source {source}", f"rotatable_bonds {rot}",
         "dielectric constant 1", f"atoms {mol.GetNumAtoms()}"]
    for a in mol.GetAtoms():
        i = a.GetIdx()
        L.append(f"{i} {a.GetSymbol()} {r(a.GetMass())} {types[i]} {r(mp.GetMMFFPartialCharge(i))}")
    L.append(f"bonds {len(t['bond'])}")
    L += [f"{i} {j} {r(kb)} {r(r0)}" for i, j, kb, r0 in t["bond"]]
    L.append(f"angles {len(t['angle'])}")
    L += [f"{i} {j} {k} {r(ka)} {r(th)} {lin}" for i, j, k, ka, th, lin in t["angle"]]
    L.append(f"stretch_bends {len(t['stbn'])}")
    L += [f"{i} {j} {k} {r(a)} {r(b)} {r(r1)} {r(r2)} {r(th)}" for i, j, k, a, b, r1, r2, th in t["stbn"]]
    L.append(f"oops {len(t['oop'])}")
    L += [f"{i} {j} {k} {l} {r(ko)}" for i, j, k, l, ko in t["oop"]]
    L.append(f"torsions {len(t['torsion'])}")
    L += [f"{i} {j} {k} {l} {r(v1)} {r(v2)} {r(v3)}" for i, j, k, l, v1, v2, v3 in t["torsion"]]
    vt = vdw_table(mol, mp, types)
    L.append(f"vdw_types {len(vt)}")
    L += [f"{a} {b} {r(rs)} {r(e)}" for a, b, rs, e in vt]
    L.append(f"start {mol.GetNumAtoms()}")  # the MMFF94s-minimised first geometry (task's initial())
    L += ["%.6f %.6f %.6f" % tuple(p) for p in start]
    L.append("end")
    return "\n".join(L) + "\n"


def force_field(mol, only=None):
    """RDKit's MMFF94s force field of mol's conformer; `only` keeps one term family on."""
    mp = props(mol)
    if only is not None:
        setters = [mp.SetMMFFBondTerm, mp.SetMMFFAngleTerm, mp.SetMMFFStretchBendTerm, mp.SetMMFFOopTerm,
                   mp.SetMMFFTorsionTerm, mp.SetMMFFVdWTerm, mp.SetMMFFEleTerm]
        for k, s in enumerate(setters):
            s(k == only)
    return ffh.MMFFGetMoleculeForceField(mol, mp, nonBondedThresh=100.0, ignoreInterfragInteractions=True)


def round6(xyz):
    """Coordinates as written (%.6f), parsed back: the exact doubles both RDKit and C see."""
    return np.array([[float("%.6f" % v) for v in p] for p in xyz])


def geometries(mol, starts, seed):
    """(label, xyz) list: the given starts, the first start MMFF94s-minimised (near a minimum: the
    rounding to 1e-6 Å leaves |∇E| ~ 1e-4), and the first start with N(0, 0.05² Å²) noise."""
    out = [(lab, round6(x)) for lab, x in starts]
    m = Chem.Mol(mol)
    set_coords(m, out[0][1])
    ff = force_field(m)
    ff.Initialize()
    ff.Minimize(maxIts=100000, forceTol=1e-8, energyTol=1e-14)
    xmin = np.array(ff.Positions()).reshape(-1, 3)
    out.append(("mmff94s-minimised " + out[0][0], round6(xmin)))
    rng = np.random.default_rng(seed)
    out.append(("noise-0.05A " + out[0][0], round6(out[0][1] + rng.normal(0.0, 0.05, out[0][1].shape))))
    return out


def reference_text(name, mol, geoms):
    L = [f"boltzbench-mmff94s-reference {FORMAT_VERSION}", f"molecule {name}", f"atoms {mol.GetNumAtoms()}",
         "terms " + " ".join(TERMS), f"geometries {len(geoms)}"]
    m = Chem.Mol(mol)
    set_coords(m, geoms[0][1])
    ff = force_field(m)
    parts = [force_field(m, only=k) for k in range(len(TERMS))]
    for lab, xyz in geoms:
        pos = [float(v) for v in xyz.reshape(-1)]
        e = ff.CalcEnergy(pos)  # energy first: CalcGrad reuses the positions of the last CalcEnergy
        g = ff.CalcGrad(pos)
        te = [p.CalcEnergy(pos) for p in parts]
        L.append(f"geometry {lab}")
        L.append(f"energy {e!r}")
        L.append("term_energies " + " ".join(repr(v) for v in te))
        for k in range(mol.GetNumAtoms()):
            x, gk = xyz[k], g[3 * k : 3 * k + 3]
            L.append("%.6f %.6f %.6f %.10g %.10g %.10g" % (x[0], x[1], x[2], gk[0], gk[1], gk[2]))
    L.append("end")
    return "\n".join(L) + "\n"


def n_linear(mol):
    mp = props(mol)
    return sum(mp.GetMMFFAtomType(i) in LINEAR_TYPES for i in range(mol.GetNumAtoms()))


def pick_spice(path):
    """Four SPICE training molecules for rotatable-bond counts 0, 1, 2, 2: the first in file order that
    are neutral, of elements C H N O S F Cl, 12..40 atoms with hydrogens and typed by MMFF94s; the
    rot-0 one must contain a linear MMFF atom (nitrile or alkyne: the linear angle term is tested)."""
    want = {0: 1, 1: 1, 2: 2}
    got = []
    for ln in open(path).read().splitlines()[1:]:
        rot, smi, hsh = ln.split("\t")
        rot = int(rot)
        if want.get(rot, 0) == 0:
            continue
        m = Chem.MolFromSmiles(smi)
        if m is None or any(a.GetFormalCharge() for a in m.GetAtoms()):
            continue
        if any(a.GetSymbol() not in SPICE_ELEMENTS for a in m.GetAtoms()):
            continue
        mh = Chem.AddHs(m)
        if not 12 <= mh.GetNumAtoms() <= 40:
            continue
        try:
            lin = n_linear(mh)
        except ValueError:
            continue
        if rot == 0 and lin == 0:
            continue
        want[rot] -= 1
        got.append((rot, smi, hsh))
        if not any(want.values()):
            break
    return got


def load_molecules(shared):
    """The shipped molecules in table order, each a dict: hash, rot, smiles, source, mol (RDKit, with
    hydrogens, in the task's atom order), starts [(label, xyz)], seed, n_crest, sets ("drugs", "fast")
    and, for GEOM-DRUGS molecules, crest (the path of the CREST xyz file). Also used by
    prepare_minima.py."""
    drugs = os.path.join(shared, "datasets/adjoint_sampling-drugs_test/data")
    spice = os.path.join(shared, "datasets/adjoint_sampling-spice_train/spice_train.txt")
    test = []
    for ln in open(os.path.join(drugs, "drugs_test.txt")).read().splitlines()[1:]:
        rot, smi, hsh = ln.split("\t")
        test.append((int(rot), smi, hsh))
    # per-molecule inputs: (hash, rot, smiles, source, mol, starts, seed)
    mols = []
    for idx, (rot, smi, hsh) in enumerate(test):
        xyz = os.path.join(drugs, "drugs_test_conformers", hsh, "crest_conformers.xyz")
        blocks = read_xyz_blocks(xyz)
        mol = mol_in_xyz_order(smi, blocks[0][0], blocks[0][1], hsh)
        starts = [("crest-%d" % c, blocks[c][1]) for c in range(min(2, len(blocks)))]
        mols.append({"hash": hsh, "rot": rot, "smiles": smi, "source": "drugs_test", "mol": mol,
                     "starts": starts, "seed": 1000 + idx, "n_crest": len(blocks), "crest": xyz})
    fast_test = []
    for r in range(3, 9):
        cand = [m for m in mols if m["rot"] == r]
        fast_test.append(min(cand, key=lambda m: m["mol"].GetNumAtoms())["hash"])
    for idx, (rot, smi, hsh) in enumerate(pick_spice(spice)):
        mol = Chem.AddHs(Chem.MolFromSmiles(smi))
        starts = []
        for s in (1, 2):
            cid = AllChem.EmbedMolecule(mol, randomSeed=4242 + 17 * s + idx)
            if cid < 0:
                sys.exit(f"{hsh}: ETKDG embedding failed")
            starts.append(("etkdg-seed%d" % (4242 + 17 * s + idx), mol.GetConformer(cid).GetPositions()))
        mol.RemoveAllConformers()
        mols.append({"hash": hsh, "rot": rot, "smiles": smi, "source": "spice_train", "mol": mol,
                     "starts": starts, "seed": 2000 + idx, "n_crest": 0})
    for m in mols:
        m["sets"] = []
        if m["source"] == "drugs_test":
            m["sets"].append("drugs")
        if m["source"] == "spice_train" or m["hash"] in fast_test:
            m["sets"].append("fast")
    return mols


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default="../shared", help="the shared folder holding datasets/")
    ap.add_argument("--only", default=None, help="comma-separated hash names: write only their files (no tables)")
    ap.add_argument("--out", default=None, help="folder of the .gz files (default datasets/conformers/mmff94s)")
    args = ap.parse_args()
    root = os.getcwd()
    outdir = args.out or os.path.join(root, "datasets/conformers/mmff94s")
    os.makedirs(outdir, exist_ok=True)

    mols = load_molecules(args.shared)
    only = set(args.only.split(",")) if args.only else None
    rows = []
    for m in mols:
        sets = m["sets"]
        if only and m["hash"] not in only:
            continue
        mol = m["mol"]
        set_coords(mol, round6(m["starts"][0][1]))
        mp = props(mol)
        geoms = geometries(mol, m["starts"], m["seed"])
        ptxt = params_text(m["hash"], m["smiles"], m["rot"], m["source"], mol, mp, geoms[len(m["starts"])][1])
        rtxt = reference_text(m["hash"], mol, geoms)
        pf = os.path.join(outdir, m["hash"] + ".params.gz")
        rf = os.path.join(outdir, m["hash"] + ".ref.gz")
        gz_write(pf, ptxt)
        gz_write(rf, rtxt)
        heavy = sum(a.GetAtomicNum() > 1 for a in mol.GetAtoms())
        sha = hashlib.sha256(open(pf, "rb").read()).hexdigest()
        rows.append((m["hash"], ",".join(sets), m["rot"], mol.GetNumAtoms(), heavy, m["n_crest"], sha,
                     m["smiles"]))
        print(f"{m['hash']}: {mol.GetNumAtoms()} atoms, sets {','.join(sets)}", file=sys.stderr)
    if only:
        return
    tsv = ["hash\tsets\trotatable_bonds\tatoms\theavy_atoms\tcrest_conformers\tparams_sha256\tsmiles"]
    tsv += ["\t".join(str(v) for v in r) for r in rows]
    write_text(os.path.join(root, "datasets/conformers/molecules.tsv"), "\n".join(tsv) + "\n")
    write_c_table(root, rows)


def write_c_table(root, rows):
    """tasks/molecules/conformer_list.c (the table) and conformer_list.inc (the registry's lines)."""
    c = ["/* conformer_list.c — GENERATED by datasets/conformers/prepare_mmff.py: do not edit.",
         " * The conformer tasks' molecules (datasets/conformers/molecules.tsv): hash name, sets, rotatable",
         " * bonds, atoms, heavy atoms, CREST reference conformers and the sha256 of the parameter file. */",
         '#include "tasks/molecules/conformers.h"', "",
         "const bb_conformer_molecule bb_conformer_molecules[BB_CONFORMER_COUNT] = {"]
    for h, sets, rot, n, heavy, ncrest, sha, smi in rows:
        fast = int("fast" in sets.split(","))
        drugs = int("drugs" in sets.split(","))
        c.append(f'    {{"{h}", {drugs}, {fast}, {rot}, {n}, {heavy}, {ncrest}, "{sha}"}},')
    c.append("};")
    c.append("")
    c.append("const bb_task_type bb_conformer_task_types[BB_CONFORMER_COUNT] = {")
    for h, sets, rot, n, heavy, ncrest, sha, smi in rows:
        src = ("GEOM-DRUGS test molecule (Adjoint Sampling drugs_test.txt), atom order of its CREST xyz file, "
               f"{ncrest} CREST conformers" if "drugs" in sets.split(",") else
               "SPICE training molecule (Adjoint Sampling spice_train.txt), RDKit atom order (SMILES, then H)")
        what = f"{h}: {smi.replace(chr(92), chr(92) * 2)}; {rot} rotatable bonds, {n} atoms ({heavy} heavy); {src}."
        c.append(f'    BB_CONFORMER_TASK("conf-{h}", {n}, "{what}"),')
    c.append("};")
    write_text(os.path.join(root, "tasks/molecules/conformer_list.c"), "\n".join(c) + "\n")
    inc = ["/* GENERATED by datasets/conformers/prepare_mmff.py: the conformer tasks' registry lines. */"]
    inc += [f"&bb_conformer_task_types[{k}]," for k in range(len(rows))]
    write_text(os.path.join(root, "tasks/molecules/conformer_list.inc"), "\n".join(inc) + "\n")
    hdr = os.path.join(root, "tasks/molecules/conformer_count.h")
    write_text(hdr, "/* GENERATED by datasets/conformers/prepare_mmff.py: number of conformer molecules. */\n"
               f"#define BB_CONFORMER_COUNT {len(rows)}\n")
    # the project's style (ci/format.sh checks every committed .c/.h)
    cf = shutil.which("clang-format") or shutil.which("clang-format-14")
    if cf:
        subprocess.run([cf, "--style=file", "-i", os.path.join(root, "tasks/molecules/conformer_list.c"), hdr],
                       check=True, cwd=root)
    else:
        print("clang-format not found: run ci/format.sh before committing", file=sys.stderr)


if __name__ == "__main__":
    main()
