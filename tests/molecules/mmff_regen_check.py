#!/usr/bin/python3
"""mmff_regen_check.py — the committed MMFF94s files are what prepare_mmff.py writes today.

Regenerates two molecules (rot0_ee90f3f4f1 from the SPICE list, rot3_558669a5be from the GEOM-DRUGS
test list) into a scratch folder with datasets/conformers/prepare_mmff.py and compares the bytes of
their .params.gz and .ref.gz with the committed ones (the script is deterministic). Needs Debian
python3-rdkit and the mirrored lists in ../shared/datasets; exits 77 (skipped) without either.
Usage: mmff_regen_check.py SOURCE_DIR
"""
import filecmp
import os
import subprocess
import sys
import tempfile

try:
    import rdkit  # noqa: F401
except ImportError:
    print("mmff_regen_check: rdkit not importable (Debian python3-rdkit); skipped")
    sys.exit(77)

src = os.path.abspath(sys.argv[1])
shared = os.environ.get("BOLTZBENCH_SHARED", os.path.join(src, "..", "shared"))
if not os.path.isdir(os.path.join(shared, "datasets/adjoint_sampling-drugs_test")):
    print(f"mmff_regen_check: {shared}/datasets not found (set BOLTZBENCH_SHARED); skipped")
    sys.exit(77)
mols = ["rot0_ee90f3f4f1", "rot3_558669a5be"]
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([sys.executable, os.path.join(src, "datasets/conformers/prepare_mmff.py"), "--shared", shared,
                    "--only", ",".join(mols), "--out", tmp], check=True, cwd=src)
    bad = 0
    for h in mols:
        for ext in ("params.gz", "ref.gz"):
            a, b = os.path.join(tmp, f"{h}.{ext}"), os.path.join(src, "datasets/conformers/mmff94s", f"{h}.{ext}")
            same = filecmp.cmp(a, b, shallow=False)
            print(f"{h}.{ext}: {'identical' if same else 'DIFFERS'} to the committed file")
            bad += not same
sys.exit(1 if bad else 0)
